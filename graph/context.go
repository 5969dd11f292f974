package graph

import (
	"context"
	"strings"
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
// When ctx carries the request's RequestInfo and no token was given yet, the token is
// kept there and ctx itself is returned (issue 12: no context value and no copy of the
// *http.Request per request for it).
func WithBearer(ctx context.Context, token string) context.Context {
	if info := InfoFrom(ctx); info != nil {
		info.mu.Lock()
		free := !info.hasBearer
		if free {
			info.hasBearer = true
			info.bearer.token = token
		}
		info.mu.Unlock()
		if free {
			return ctx
		}
	}
	return context.WithValue(ctx, bearerKey{}, &bearer{token: token})
}

// bearerFrom is the innermost token given to WithBearer, or nil.
func bearerFrom(ctx context.Context) *bearer {
	if b, _ := ctx.Value(bearerKey{}).(*bearer); b != nil {
		return b
	}
	if info := InfoFrom(ctx); info != nil {
		info.mu.Lock()
		defer info.mu.Unlock()
		if info.hasBearer {
			return &info.bearer
		}
	}
	return nil
}

// Principal authenticates the request's bearer token once per request.
// Errors: AUTHENTICATION_FAILED.
func (r *Resolver) Principal(ctx context.Context) (*auth.Principal, error) {
	b := bearerFrom(ctx)
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

// BearerToken extracts the token of an Authorization header "Bearer <token>" (scheme
// case-insensitive). Any other non-empty header yields a token that fails verification,
// so the answer is 401, never an anonymous call.
func BearerToken(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		if h != "" {
			return "invalid"
		}
		return ""
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "invalid"
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "invalid"
	}
	return tok
}
