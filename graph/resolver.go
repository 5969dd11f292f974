package graph

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/auth"
)

//go:generate sh -c "cd .. && go tool gqlgen generate"

// Resolver is the root resolver: thin methods over the one auth service.
type Resolver struct {
	Auth *auth.Service
	Log  *slog.Logger
}

// Options configures the GraphQL executor shared by /graphql and the REST adapter.
type Options struct {
	Introspection    bool
	ParserTokenLimit int   // tokens per document (0: 15000)
	MaxBodyBytes     int64 // request body cap of the POST transport (0: 1 MiB)
	MaxDepth         int   // deepest field nesting (0: 12)
	MaxComplexity    int   // gqlgen complexity, one per field (0: 1000)
	MaxRootFields    int   // root fields (aliases) per operation (0: 50)
	// MaxExpandedNodes caps selections, argument values and directives of a document
	// expanded through its fragments (0: ParserTokenLimit); see cost.go.
	MaxExpandedNodes int
	// ExecutorOnly runs every POST operation through gqlgen's executor, also the `me`
	// queries it otherwise answers directly (direct.go); tests compare both.
	ExecutorOnly bool
}

// DefaultOptions is the one place of the GraphQL limits' defaults (cmd/authbff starts
// from it; README's configuration table states the same values).
func DefaultOptions() Options {
	return Options{
		Introspection:    true,
		ParserTokenLimit: 15000,
		MaxBodyBytes:     DefaultMaxBodyBytes,
		MaxDepth:         12,
		MaxComplexity:    1000,
		MaxRootFields:    50,
	}
}

// DefaultMaxBodyBytes caps a request body (GraphQL POST and REST alike).
const DefaultMaxBodyBytes = 1 << 20

// withDefaults fills the zero limits from DefaultOptions; MaxExpandedNodes defaults to
// the token limit.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&o.ParserTokenLimit, d.ParserTokenLimit)
	fill(&o.MaxDepth, d.MaxDepth)
	fill(&o.MaxComplexity, d.MaxComplexity)
	fill(&o.MaxRootFields, d.MaxRootFields)
	fill(&o.MaxExpandedNodes, o.ParserTokenLimit)
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = d.MaxBodyBytes
	}
	return o
}

// configurable is what *handler.Server and *executor.Executor have in common, so that
// both are configured by one function and behave the same.
type configurable interface {
	Use(graphql.HandlerExtension)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetParserTokenLimit(int)
	SetDisableSuggestion(bool)
}

func (r *Resolver) configure(c configurable, o Options, cache graphql.Cache[*ast.QueryDocument], present graphql.ErrorPresenterFunc) {
	c.SetQueryCache(cache)
	c.SetParserTokenLimit(o.ParserTokenLimit)
	c.SetErrorPresenter(present)
	c.SetRecoverFunc(r.recoverPanic)
	c.Use(operationInfo{})
	// Never "Did you mean" suggestions: see validationRules.
	c.SetDisableSuggestion(true)
	if o.Introspection {
		c.Use(extension.Introspection{})
	}
}

// NewExecutableSchema builds the gqlgen schema over r, with the schema clients see
// (PublicSchema).
func (r *Resolver) NewExecutableSchema() graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r, Schema: publicSchema})
}

// internalDirectives are gqlgen's code-generation hints: they mean nothing to a client.
var internalDirectives = []string{"goField"}

// publicSchema is the parsed schema less the internal directives, so that introspection
// (and the playground's documentation) shows only what clients can use. The directives'
// uses on definitions stay: introspection never lists applied directives.
var publicSchema = func() *ast.Schema {
	full := (&executableSchema{}).Schema()
	s := *full
	s.Directives = make(map[string]*ast.DirectiveDefinition, len(full.Directives))
	for name, d := range full.Directives {
		if !slices.Contains(internalDirectives, name) {
			s.Directives[name] = d
		}
	}
	return &s
}()

// NewExecutor returns an executor for running persisted operations in-process (the REST
// adapter), configured as the /graphql handler except for the limits on documents
// (depth, complexity, root fields): those bound what clients write, and the persisted
// operations are fixed and validated at start-up. Its errors are not rendered for
// GraphQL: each carries the domain *auth.Error as its cause (see DomainError), which the
// caller maps, and logs, once.
func (r *Resolver) NewExecutor(o Options) *executor.Executor {
	o = o.withDefaults()
	x := executor.New(r.NewExecutableSchema())
	r.configure(x, o, lru.New[*ast.QueryDocument](1000), keepDomainError)
	return x
}

// NewHandler returns the /graphql HTTP handler: POST (JSON only, body capped, never
// echoed in an error) and GET for queries only.
func (r *Resolver) NewHandler(o Options) http.Handler {
	o = o.withDefaults()
	srv := handler.New(r.NewExecutableSchema())
	post := postTransport{maxBody: o.MaxBodyBytes}
	if !o.ExecutorOnly {
		post.direct = newDirectGraphQL(r, publicSchema)
	}
	srv.AddTransport(post)
	srv.AddTransport(getTransport{})
	srv.AddTransport(refuseTransport{})
	cache := lru.New[*ast.QueryDocument](1000)
	r.configure(srv, o, cache, r.presentError)
	srv.Use(costExtension{limits: costLimitsFor(o), tokenLimit: o.ParserTokenLimit, cache: cache})
	srv.Use(&complexityLimit{limit: o.MaxComplexity})
	srv.SetValidationRulesFn(validationRules(o.MaxDepth, o.MaxRootFields, o.Introspection))
	// The handler authenticates from the request's own Authorization header, so that it
	// works mounted alone; RequestInfo is the server's (its access log reads it), made
	// here only when no server did.
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		if InfoFrom(ctx) == nil {
			ctx = WithInfo(ctx, &RequestInfo{})
		}
		ctx = WithBearer(ctx, BearerToken(req.Header.Get("Authorization")))
		if ctx != req.Context() {
			req = req.WithContext(ctx)
		}
		srv.ServeHTTP(w, req)
	})
}

// Run executes one operation in-process and returns the response.
func Run(ctx context.Context, x *executor.Executor, params *graphql.RawParams) *graphql.Response {
	params.ReadTime = graphql.TraceTiming{Start: time.Now(), End: time.Now()}
	ctx = graphql.StartOperationTrace(ctx)
	rc, errs := x.CreateOperationContext(ctx, params)
	if errs != nil {
		return x.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
	}
	responses, ctx := x.DispatchOperation(ctx, rc)
	return responses(ctx)
}
