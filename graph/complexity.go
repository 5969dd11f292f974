package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit is gqlgen's extension.FixedComplexityLimit with the same numbers and
// the same error (COMPLEXITY_LIMIT_EXCEEDED), but linear in the document: gqlgen's walk
// expands a fragment at every spread, so a chain of fragments that each spread the next
// twice costs 2^n. Here a fragment's complexity is computed once per operation (it
// depends only on the fragment and the operation's variables).
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	w := complexityWalker{ctx: ctx, es: c.es, schema: c.es.Schema(), vars: rc.Variables, memo: map[string]int{}}
	n := w.set(rc.Operation.SelectionSet)
	rc.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
		err.Extensions = map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

type complexityWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	memo   map[string]int
}

func (w *complexityWalker) set(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition == nil || s.ObjectDefinition == nil {
				continue
			}
			def := w.schema.Types[s.Definition.Type.Name()]
			if def == nil || def.Name == "__Schema" {
				continue
			}
			child := 0
			switch def.Kind {
			case ast.Object, ast.Interface, ast.Union:
				child = w.set(s.SelectionSet)
			}
			args := s.ArgumentMap(w.vars)
			var field int
			if s.ObjectDefinition.Kind == ast.Interface {
				for _, t := range w.schema.GetPossibleTypes(s.ObjectDefinition) {
					field = max(field, w.field(t, def.Kind, s.Name, child, args))
				}
			} else {
				field = w.field(s.ObjectDefinition, def.Kind, s.Name, child, args)
			}
			n = sat(n, field)
		case *ast.InlineFragment:
			n = sat(n, w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			m, ok := w.memo[s.Name]
			if !ok {
				w.memo[s.Name] = 0 // a cycle (refused before this runs) adds nothing
				m = w.set(s.Definition.SelectionSet)
				w.memo[s.Name] = m
			}
			n = sat(n, m)
		}
	}
	return n
}

func (w *complexityWalker) field(def *ast.Definition, kind ast.DefinitionKind, name string, child int, args map[string]any) int {
	if n, ok := w.es.Complexity(w.ctx, def.Name, name, child, args); ok && n >= 1 {
		return n
	}
	return sat(1, child) // scalars and enums count 1, like gqlgen's default
}
