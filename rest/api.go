package rest

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/go-chi/chi/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph"
	"authbff/graph/auth"
)

// Prefix is where the REST routes live.
const Prefix = "/v1/auth"

// API is what the REST view needs: the in-process executor (graph.Resolver.NewExecutor)
// with its schema, the bearer check, and where internal failures are reported.
type API struct {
	Executor     *executor.Executor
	Schema       *ast.Schema
	Principal    func(context.Context) (*auth.Principal, error)
	Report       func(context.Context, error)
	Log          *slog.Logger
	Now          func() time.Time
	MaxBodyBytes int64 // 0: graph.DefaultMaxBodyBytes
	// CompileMe, if set, turns a route's persisted `me` operation into a direct answer
	// that skips the executor (graph.Resolver.CompileMe, issue 12); nil, or a nil result,
	// keeps the route on the executor.
	CompileMe func(*ast.Schema, *ast.QueryDocument) graph.DirectMe
}

// Mount adds the fifteen routes under Prefix to r. It fails if a persisted operation does
// not validate against the schema (the server then does not start).
func (a API) Mount(r chi.Router) error {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.MaxBodyBytes <= 0 {
		a.MaxBodyBytes = graph.DefaultMaxBodyBytes
	}
	h := &adapter{exec: a.Executor, principal: a.Principal, report: a.Report, log: a.Log, now: a.Now, maxBody: a.MaxBodyBytes}
	ops, err := loadRoutes(a.Schema)
	if err != nil {
		return err
	}
	r.Route(Prefix, func(sub chi.Router) {
		for i, rt := range routes {
			sub.Method(rt.method, rt.path, h.handle(rt, ops[i], a.direct(rt, ops[i])))
		}
	})
	return nil
}

// direct compiles the direct answer of a route without variables whose operation
// CompileMe accepts (GET /me and GET /me/profile), or returns nil.
func (a API) direct(rt route, op *operation) graph.DirectMe {
	if a.CompileMe == nil || rt.source != none || rt.null {
		return nil
	}
	doc, errs := gqlparser.LoadQuery(a.Schema, op.text)
	if len(errs) > 0 {
		return nil // loadOperation validated it: cannot happen
	}
	return a.CompileMe(a.Schema, doc)
}

// OpenAPI is the OpenAPI document of the routes (served at /openapi.json), generated from
// the route table and the persisted operations.
func OpenAPI(schema *ast.Schema) ([]byte, error) {
	ops, err := loadRoutes(schema)
	if err != nil {
		return nil, err
	}
	return openAPI(schema, ops)
}

// loadRoutes loads the persisted operation of each route, in the table's order.
func loadRoutes(schema *ast.Schema) ([]*operation, error) {
	ops := make([]*operation, len(routes))
	for i, rt := range routes {
		op, err := loadOperation(schema, rt.op, rt.form)
		if err != nil {
			return nil, err
		}
		ops[i] = op
	}
	return ops, nil
}
