package auth

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestConnClosedIsUnavailable: pgx's "conn closed" (a connection the server ended,
// found before anything was sent) is a 503 and may be retried, never a 500.
func TestConnClosedIsUnavailable(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("failed to deallocate cached statement(s): %w", pgconn.ErrConnClosed)
	if !isUnavailable(err) || !isTransient(err) {
		t.Fatalf("unavailable %v, transient %v", isUnavailable(err), isTransient(err))
	}
	var ae *Error
	if !errors.As(Internal(err), &ae) || ae.Code != CodeServiceUnavailable {
		t.Fatalf("Internal: %v", Internal(err))
	}
}
