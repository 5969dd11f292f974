package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"authbff/graph/auth"
)

// TestDomainError: the in-process executor's errors carry the domain error itself, so
// the REST adapter maps *auth.Error once and never reads GraphQL extensions back.
func TestDomainError(t *testing.T) {
	t.Parallel()
	conflict := &auth.Error{Code: auth.CodeConflict, Message: "taken"}
	cases := []struct {
		name string
		err  error
		want auth.Code
	}{
		{"OK_DomainErrorKept", conflict, auth.CodeConflict},
		{"OK_WrappedInGqlerror", gqlerror.WrapPath(nil, conflict), auth.CodeConflict},
		{"ErrUnknownIsInternal", errors.New("boom"), auth.CodeInternal},
		{"ErrGraphQLOwnIsInternal", gqlerror.Errorf("Cannot query field"), auth.CodeInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := DomainError(keepDomainError(context.Background(), c.err))
			if got.Code != c.want {
				t.Fatalf("code %s, want %s", got.Code, c.want)
			}
			if c.want == auth.CodeConflict && got != conflict {
				t.Errorf("the domain error was copied, not kept")
			}
		})
	}
}
