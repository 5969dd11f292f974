package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// validationRules are gqlparser's default rules plus two of ours, which gqlgen has no
// built-in for: a depth limit and a cap on root fields (aliases) per operation. Each
// aliased root field of an auth mutation is one rate-limited attempt, so the cap bounds
// how much one request can ask for.
func validationRules(maxDepth, maxRootFields int, introspection bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		// No "Did you mean" suggestions: each costs an edit distance between every
		// unknown name and every candidate name, which a document can multiply by the
		// thousand (gqlgen swaps FieldsOnCorrectType and ScalarLeafs itself, see
		// configure; introspection and the playground's completion give the same help).
		for _, rule := range []core.Rule{rules.KnownArgumentNamesRuleWithoutSuggestions,
			rules.KnownTypeNamesRuleWithoutSuggestions, rules.ValuesOfCorrectTypeRuleWithoutSuggestions} {
			r.RemoveRule(strings.TrimSuffix(rule.Name, "WithoutSuggestions"))
			r.AddRule(rule.Name, rule.RuleFunc)
		}
		r.AddRule("MaxDepth", depthRule(maxDepth))
		r.AddRule("MaxRootFields", rootFieldsRule(maxRootFields))
		if !introspection {
			r.AddRule("NoIntrospection", noIntrospection)
		}
		return r
	}
}

// noIntrospection refuses __schema and __type (not __typename) when introspection is
// off, as a validation error rather than the executor's internal one.
func noIntrospection(observers *core.Events, addError core.AddErrFunc) {
	observers.OnField(func(_ *core.Walker, f *ast.Field) {
		if f.Name == "__schema" || f.Name == "__type" {
			addError(core.Message("GraphQL introspection is disabled"), core.At(f.Position))
		}
	})
}

func depthRule(limit int) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnOperation(func(w *core.Walker, op *ast.OperationDefinition) {
			d := depthWalker{doc: w.Document, memo: map[string]int{}, visiting: map[string]bool{}}
			if got := d.selections(op.SelectionSet); got > limit {
				addError(core.Message("Query is nested too deeply: depth %d exceeds the limit of %d", got, limit),
					core.At(op.Position))
			}
		})
	}
}

// depthWalker measures the deepest field path, through fragments (memoized, cycle-safe).
// Introspection subtrees count as one level: MaxIntrospectionDepth bounds them.
type depthWalker struct {
	doc      *ast.QueryDocument
	memo     map[string]int
	visiting map[string]bool
}

func (d *depthWalker) selections(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var n int
		switch s := sel.(type) {
		case *ast.Field:
			n = 1
			if s.Name != "__schema" && s.Name != "__type" {
				n += d.selections(s.SelectionSet)
			}
		case *ast.InlineFragment:
			n = d.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			n = d.fragment(s.Name)
		}
		deepest = max(deepest, n)
	}
	return deepest
}

func (d *depthWalker) fragment(name string) int {
	if n, ok := d.memo[name]; ok {
		return n
	}
	if d.visiting[name] {
		return 0 // a cycle: NoFragmentCycles reports it
	}
	f := d.doc.Fragments.ForName(name)
	if f == nil {
		return 0
	}
	d.visiting[name] = true
	n := d.selections(f.SelectionSet)
	delete(d.visiting, name)
	d.memo[name] = n
	return n
}

func rootFieldsRule(limit int) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnOperation(func(w *core.Walker, op *ast.OperationDefinition) {
			c := rootCounter{doc: w.Document, memo: map[string]int{}}
			if n := c.fields(op.SelectionSet); n > limit {
				addError(core.Message("Too many root fields: %d exceeds the limit of %d per operation", n, limit),
					core.At(op.Position))
			}
		})
	}
}

// rootCounter counts the fields of a selection set, through inline fragments and
// fragment spreads, each fragment's count computed once (a fragment spread twice by
// each of a chain of fragments would otherwise be counted 2^n times over).
type rootCounter struct {
	doc  *ast.QueryDocument
	memo map[string]int
}

func (c *rootCounter) fields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n = sat(n, c.fields(s.SelectionSet))
		case *ast.FragmentSpread:
			m, ok := c.memo[s.Name]
			if !ok {
				c.memo[s.Name] = 0 // a cycle: NoFragmentCycles reports it
				if f := c.doc.Fragments.ForName(s.Name); f != nil {
					m = c.fields(f.SelectionSet)
				}
				c.memo[s.Name] = m
			}
			n = sat(n, m)
		}
	}
	return n
}
