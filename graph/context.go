package graph

import (
	"context"
	"sync"

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

// Principal authenticates the request's bearer token once per request.
// Errors: AUTHENTICATION_FAILED.
func (r *Resolver) Principal(ctx context.Context) (*auth.Principal, error) {
	b, _ := ctx.Value(bearerKey{}).(*bearer)
	if b == nil {
		return r.Auth.Authenticate(ctx, "")
	}
	b.once.Do(func() {
		b.p, b.err = r.Auth.Authenticate(ctx, b.token)
		if b.p != nil {
			InfoFrom(ctx).setUser(b.p.UserID.String())
		}
	})
	if b.p != nil && b.p.Ended() {
		return nil, auth.ErrAuthRequired()
	}
	return b.p, b.err
}
