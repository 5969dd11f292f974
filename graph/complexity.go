package graph

import (
	"context"
	"sync"
	"weak"

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
//
// An operation without variables has one complexity (the schema sets no complexity
// functions, and a complexity function may read only the field's arguments, which are
// then literals): it is remembered per operation, so that the walk, which builds every
// field's argument map, runs once per document instead of on every request (~1.5 µs of
// a GraphQL `me`, issue 12). Keyed by a weak pointer to the operation's node, which
// gqlgen's document cache keeps for as long as it keeps the document: the memo holds no
// document alive; a bounded map, emptied when full.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema

	mu    sync.Mutex
	known map[weak.Pointer[ast.OperationDefinition]]int
}

// complexityMemo bounds complexityLimit.known (gqlgen's document cache holds 1,000).
const complexityMemo = 2000

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

// codeComplexityLimit is gqlgen's own code for this refusal (unexported there); clients
// written against gqlgen's complexity extension know it. Not an auth.Code: no REST route
// can reach it (persisted operations are not cost-limited).
const codeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"

func (c *complexityLimit) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	op := rc.Operation
	memo := len(op.VariableDefinitions) == 0
	var (
		key weak.Pointer[ast.OperationDefinition]
		n   int
		ok  bool
	)
	if memo {
		key = weak.Make(op)
		c.mu.Lock()
		n, ok = c.known[key]
		c.mu.Unlock()
	}
	if !ok {
		w := complexityWalker{ctx: ctx, es: c.es, schema: c.es.Schema(), vars: rc.Variables, memo: map[string]int{}}
		n = w.set(op.SelectionSet)
		if memo {
			c.mu.Lock()
			if c.known == nil || len(c.known) >= complexityMemo {
				c.known = make(map[weak.Pointer[ast.OperationDefinition]]int)
			}
			c.known[key] = n
			c.mu.Unlock()
		}
	}
	rc.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
		err.Extensions = map[string]any{"code": codeComplexityLimit}
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
