package graph

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"authbff/graph/auth"
)

// bearer carries a request's access token and memoizes its check, so that a GraphQL
// operation with many authenticated fields (or a REST route that checks the bearer
// before its body) looks the session up once.
type bearer struct {
	token string
	once  sync.Once
	p     *auth.Principal
	err   error
}

type bearerKey struct{}

// WithBearer returns ctx carrying the raw access token of the request ("" if none).
func WithBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, bearerKey{}, &bearer{token: token})
}

// signedOut makes the rest of the request unauthenticated, after an operation ended its
// own session (logout, or revoking the current session), so that later fields of the
// same operation cannot act on the dead session.
func signedOut(ctx context.Context) {
	if b, _ := ctx.Value(bearerKey{}).(*bearer); b != nil {
		b.once.Do(func() {})
		b.p, b.err = nil, auth.ErrAuthRequired()
	}
}

// Principal authenticates the request's bearer token once per request.
// Errors: AUTHENTICATION_FAILED.
func (r *Resolver) Principal(ctx context.Context) (*auth.Principal, error) {
	b, _ := ctx.Value(bearerKey{}).(*bearer)
	if b == nil {
		return r.Auth.Authenticate(ctx, "")
	}
	b.once.Do(func() { b.p, b.err = r.Auth.Authenticate(ctx, b.token) })
	return b.p, b.err
}

// isCurrentSession reports whether id names the caller's own session.
func isCurrentSession(p *auth.Principal, id string) bool {
	sid, err := uuid.Parse(id)
	return err == nil && sid == p.SessionID
}
