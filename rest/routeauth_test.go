package rest_test

import (
	"testing"

	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// TestRouteAuthAgreesWithResolvers: the route table's auth column (the adapter checks the
// bearer before reading the body) and the resolvers (which decide on their own over
// /graphql) agree for all fifteen routes: run without a bearer, each route's persisted
// operation fails with "authentication required" exactly when its row says auth.
func TestRouteAuthAgreesWithResolvers(t *testing.T) {
	t.Parallel()
	ops, err := rest.RouteOps()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 15 {
		t.Fatalf("%d routes, want 15", len(ops))
	}
	e := apitest.New(t)
	for _, op := range ops {
		t.Run(op.Method+op.Path, func(t *testing.T) {
			r := e.GraphQL(op.Text, op.Vars, "")
			required := false
			for _, ge := range r.Errors {
				if ge.Code() == string(auth.CodeAuthFailed) && ge.Message == auth.MsgAuthRequired {
					required = true
				}
			}
			if required != op.Auth {
				t.Errorf("route table auth=%v, but the resolver without a bearer answers %s", op.Auth, r.Raw)
			}
		})
	}
}
