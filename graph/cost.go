package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Document cost (issue 8 §1). gqlparser's validation rules and gqlgen's complexity walk
// are not linear in the size of a document: the walker and the complexity walk expand a
// fragment each time it is spread (a chain of fragments that each spread the next twice
// is 2^n work for a few hundred bytes), OverlappingFieldsCanBeMerged compares every pair
// of fields merged under one response name (one field repeated 14,000 times is 10^8
// comparisons), and fragments, variables and spreads are looked up by linear scans.
//
// costCheck is a pass over the parsed document that runs before those rules, costs
// O(size of the document) whatever its shape, and refuses what would make them expensive:
//
//   - the document expanded through its fragments (each spread counted in full, once for
//     every root gqlparser walks: each operation and each fragment definition) may hold
//     at most MaxExpandedNodes selections, argument values and directives. The default
//     is the parser's token limit: expanding fragments cannot make a document bigger
//     than the biggest document accepted as written. Fragment weights are memoized, so
//     a fragment DAG costs its size, not its expansion, to measure;
//   - a fragment cycle is refused here (it would expand forever);
//   - in the document as the executor merges it (fields of one selection set, its inline
//     fragments and spread fragments, grouped by response name, level by level), one
//     response name may gather at most maxMerged fields, and the pairs of fields merged
//     under one name (what OverlappingFieldsCanBeMerged compares) are capped in total;
//   - at most maxFragments fragment definitions, maxSpreads fragment spreads in one
//     merged selection set, maxDirectives directives at one location and maxVariables
//     variables per operation (each is looked up by a linear scan somewhere), and at
//     most maxInline inline fragments nested in one another (the rule collects each
//     inline fragment's fields again for every inline fragment around it).
//
// Within these caps every rule's work is bounded by a constant times MaxExpandedNodes
// (see BenchmarkDocumentCost for the measured worst shapes). A refused document gets
// GRAPHQL_VALIDATION_FAILED, like the other document limits.
type costLimits struct {
	maxNodes      int
	maxMerged     int
	maxPairs      int
	maxFragments  int
	maxSpreads    int
	maxDirectives int
	maxVariables  int
	maxInline     int
}

const (
	defaultMaxMerged     = 20
	defaultMaxPairs      = 500
	defaultMaxFragments  = 100
	defaultMaxSpreads    = 32
	defaultMaxDirectives = 8
	defaultMaxVariables  = 64
	defaultMaxInline     = 10
)

func costLimitsFor(o Options) costLimits {
	return costLimits{
		maxNodes:      o.MaxExpandedNodes,
		maxMerged:     defaultMaxMerged,
		maxPairs:      defaultMaxPairs,
		maxFragments:  defaultMaxFragments,
		maxSpreads:    defaultMaxSpreads,
		maxDirectives: defaultMaxDirectives,
		maxVariables:  defaultMaxVariables,
		maxInline:     defaultMaxInline,
	}
}

// costExtension runs the check before gqlgen parses and validates a document it has not
// seen; a document in the query cache already passed it (the cache holds only
// documents that passed validation). A new document is parsed twice (here, then by
// gqlgen, which cannot be handed an unvalidated document): parsing is linear, and
// measured in BenchmarkDocumentCost.
type costExtension struct {
	limits     costLimits
	tokenLimit int
	cache      graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = costExtension{}

func (costExtension) ExtensionName() string                   { return "DocumentCost" }
func (costExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (x costExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := x.cache.Get(ctx, p.Query); ok {
		return nil
	}
	if pos, ok := tooDeep(p.Query, maxNesting); ok {
		gerr := gqlerror.ErrorLocf("", pos.line, pos.col,
			"Document nested too deeply: more than %d levels of braces, brackets and parentheses", maxNesting)
		errcode.Set(gerr, errcode.ParseFailed)
		return gerr
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, x.tokenLimit)
	if gerr, ok := err.(*gqlerror.Error); ok {
		errcode.Set(gerr, errcode.ParseFailed) // as gqlgen reports it, without parsing twice
		return gerr
	}
	if err != nil || doc == nil || len(doc.Operations) == 0 {
		return nil // gqlgen reports these itself
	}
	if gerr := checkDocumentCost(doc, x.limits); gerr != nil {
		errcode.Set(gerr, errcode.ValidationFailed)
		return gerr
	}
	// Not a cost, but also a property of the document alone: a string literal with a
	// lone surrogate (gqlparser would read U+FFFD) is refused, naming the argument.
	if gerr := literalSurrogateRefusal(doc, p.Query); gerr != nil {
		if gerr.Extensions == nil {
			errcode.Set(gerr, errcode.ValidationFailed)
		}
		return gerr
	}
	return nil
}

// maxNesting bounds how deeply braces, brackets and parentheses nest in a document
// (selection sets, lists and input objects). The parser stops at 1000 levels, but its
// recursion and the rules' walks are costly per byte long before that, and no query
// within the depth limit comes near.
const maxNesting = 128

type linecol struct{ line, col int }

// tooDeep scans a document's text, skipping strings, block strings and comments, and
// reports where its nesting first exceeds limit. It never allocates.
func tooDeep(q string, limit int) (linecol, bool) {
	depth, line, lineStart := 0, 1, 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '\n':
			line, lineStart = line+1, i+1
		case '#':
			for i+1 < len(q) && q[i+1] != '\n' && q[i+1] != '\r' {
				i++
			}
		case '"':
			if strings.HasPrefix(q[i:], `"""`) {
				i += 3
				for i < len(q) && !strings.HasPrefix(q[i:], `"""`) {
					if q[i] == '\\' && strings.HasPrefix(q[i+1:], `"""`) {
						i += 3
						continue
					}
					if q[i] == '\n' {
						line, lineStart = line+1, i+1
					}
					i++
				}
				i += 2
				continue
			}
			for i++; i < len(q) && q[i] != '"' && q[i] != '\n'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		case '{', '[', '(':
			if depth++; depth > limit {
				return linecol{line, i - lineStart + 1}, true
			}
		case '}', ']', ')':
			depth--
		}
	}
	return linecol{}, false
}

// checkDocumentCost returns the first limit doc breaks, nil if none.
func checkDocumentCost(doc *ast.QueryDocument, l costLimits) *gqlerror.Error {
	c := &costCheck{l: l, frags: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		weights: make(map[string]int, len(doc.Fragments))}
	if n := len(doc.Fragments); n > l.maxFragments {
		return errAt(doc.Fragments[l.maxFragments].Position,
			"Too many fragments: %d exceeds the limit of %d per document", n, l.maxFragments)
	}
	for _, f := range doc.Fragments {
		if _, ok := c.frags[f.Name]; !ok {
			c.frags[f.Name] = f
		}
	}
	// Weights, with the cheap per-node caps checked on the way.
	total := 0
	for _, op := range doc.Operations {
		if n := len(op.VariableDefinitions); n > l.maxVariables {
			return errAt(op.VariableDefinitions[l.maxVariables].Position,
				"Too many variables: %d exceeds the limit of %d per operation", n, l.maxVariables)
		}
		w := 1 + c.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			w = sat(w, 1+c.value(v.DefaultValue)+c.directives(v.Directives))
		}
		w = sat(w, c.set(op.SelectionSet))
		total = sat(total, w)
		if c.err != nil {
			return c.err
		}
	}
	for _, f := range doc.Fragments {
		total = sat(total, 1+c.directives(f.Directives)+c.fragment(f.Name))
		if c.err != nil {
			return c.err
		}
	}
	if total > l.maxNodes {
		return errAt(nil, "Document too large: expanded through its fragments it has more than %d selections, "+
			"arguments and directives (each fragment counts every time it is spread)", l.maxNodes)
	}
	// The merged view, now known to be small enough to build.
	for _, op := range doc.Operations {
		if err := c.merged([]ast.SelectionSet{op.SelectionSet}); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		if err := c.merged([]ast.SelectionSet{f.SelectionSet}); err != nil {
			return err
		}
	}
	return nil
}

type costCheck struct {
	l       costLimits
	frags   map[string]*ast.FragmentDefinition
	weights map[string]int // fragment name → weight; inProgress while being measured
	pairs   int
	err     *gqlerror.Error
}

const inProgress = -1

// limitWeight is where weights saturate: far above any limit, far below overflow.
const limitWeight = 1 << 40

func sat(a, b int) int { return min(a+b, limitWeight) }

func errAt(pos *ast.Position, format string, args ...any) *gqlerror.Error {
	if pos == nil {
		return gqlerror.Errorf(format, args...)
	}
	return gqlerror.ErrorPosf(pos, format, args...)
}

func (c *costCheck) fail(err *gqlerror.Error) int {
	if c.err == nil {
		c.err = err
	}
	return limitWeight
}

func (c *costCheck) set(set ast.SelectionSet) int {
	w := 0
	for _, sel := range set {
		if c.err != nil {
			return limitWeight
		}
		switch s := sel.(type) {
		case *ast.Field:
			w = sat(w, 1+c.directives(s.Directives))
			for _, a := range s.Arguments {
				w = sat(w, c.value(a.Value))
			}
			w = sat(w, c.set(s.SelectionSet))
		case *ast.InlineFragment:
			w = sat(w, 1+c.directives(s.Directives))
			w = sat(w, c.set(s.SelectionSet))
		case *ast.FragmentSpread:
			w = sat(w, 1+c.directives(s.Directives))
			w = sat(w, c.fragment(s.Name))
		}
	}
	return w
}

// fragment is the weight of a fragment's selection set, memoized; a spread of a fragment
// that is still being measured is a cycle.
func (c *costCheck) fragment(name string) int {
	switch w, ok := c.weights[name]; {
	case ok && w == inProgress:
		f := c.frags[name]
		return c.fail(errAt(f.Position, "Cannot spread fragment %q within itself.", name))
	case ok:
		return w
	}
	f := c.frags[name]
	if f == nil {
		return 0 // KnownFragmentNames reports it
	}
	c.weights[name] = inProgress
	w := c.set(f.SelectionSet)
	c.weights[name] = w
	return w
}

func (c *costCheck) directives(list ast.DirectiveList) int {
	if len(list) > c.l.maxDirectives {
		return c.fail(errAt(list[c.l.maxDirectives].Position,
			"Too many directives: %d exceeds the limit of %d at one location", len(list), c.l.maxDirectives))
	}
	w := 0
	for _, d := range list {
		w = sat(w, 1)
		for _, a := range d.Arguments {
			w = sat(w, c.value(a.Value))
		}
	}
	return w
}

func (c *costCheck) value(v *ast.Value) int {
	if v == nil {
		return 0
	}
	w := 1
	for _, ch := range v.Children {
		w = sat(w, c.value(ch.Value))
	}
	return w
}

// merged walks the document as the executor merges it: the fields the selection sets
// contribute (directly, through inline fragments and through fragment spreads), grouped
// by response name, then each group's sub-selections merged in turn. Its work is the
// expanded size, which the weights above bound.
func (c *costCheck) merged(sets []ast.SelectionSet) *gqlerror.Error {
	type group struct {
		first *ast.Field
		n     int
		subs  []ast.SelectionSet
	}
	var order []string
	groups := map[string]*group{}
	spreads := 0
	var spreadAt, inlineAt *ast.Position
	var collect func(set ast.SelectionSet, depth, inline int)
	collect = func(set ast.SelectionSet, depth, inline int) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				name := s.Alias
				if name == "" {
					name = s.Name
				}
				g := groups[name]
				if g == nil {
					g = &group{first: s}
					groups[name] = g
					order = append(order, name)
				}
				g.n++
				if len(s.SelectionSet) > 0 {
					g.subs = append(g.subs, s.SelectionSet)
				}
			case *ast.InlineFragment:
				if inline == c.l.maxInline {
					if inlineAt == nil {
						inlineAt = s.Position
					}
					continue
				}
				collect(s.SelectionSet, depth, inline+1)
			case *ast.FragmentSpread:
				spreads++
				if spreads > c.l.maxSpreads && spreadAt == nil {
					spreadAt = s.Position
				}
				// Cycles were refused above; depth is a second guard.
				if f := c.frags[s.Name]; f != nil && depth < len(c.frags) {
					collect(f.SelectionSet, depth+1, inline)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set, 0, 0)
	}
	if inlineAt != nil {
		return errAt(inlineAt, "Too many nested inline fragments: more than %d inside one another", c.l.maxInline)
	}
	if spreads > c.l.maxSpreads {
		return errAt(spreadAt, "Too many fragment spreads: %d exceeds the limit of %d in one selection set", spreads, c.l.maxSpreads)
	}
	for _, name := range order {
		g := groups[name]
		if g.n > c.l.maxMerged {
			return errAt(g.first.Position, "Field %q is selected %d times in one selection set (fragments included); the limit is %d",
				name, g.n, c.l.maxMerged)
		}
		c.pairs += g.n * (g.n - 1) / 2
		if c.pairs > c.l.maxPairs {
			return errAt(g.first.Position, "Too many repeated fields: more than %d pairs of fields share a response name "+
				"(fragments included); select each field once", c.l.maxPairs)
		}
	}
	for _, name := range order {
		if g := groups[name]; len(g.subs) > 0 {
			if err := c.merged(g.subs); err != nil {
				return err
			}
		}
	}
	return nil
}
