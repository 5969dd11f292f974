package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// TestHandlerMountedAlone: the /graphql handler, mounted on its own (no REST router, no
// server middleware in front), reads the Authorization header itself: `me` answers the
// bearer's user, and without a bearer AUTHENTICATION_FAILED.
func TestHandlerMountedAlone(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	acct := e.Register("alone")
	srv := httptest.NewServer((&graph.Resolver{Auth: e.Svc}).NewHandler(graph.Options{}))
	t.Cleanup(srv.Close)
	me := func(t *testing.T, header string) map[string]any {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"query":"{ me { id username } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Run("OK_Bearer", func(t *testing.T) {
		out := me(t, "Bearer "+acct.Access)
		data, _ := out["data"].(map[string]any)
		m, _ := data["me"].(map[string]any)
		if m["id"] != acct.UserID || m["username"] != "alone" {
			t.Fatalf("me = %v, want user %s", out, acct.UserID)
		}
	})
	t.Run("ErrAuthFailedWithoutBearer", func(t *testing.T) {
		out := me(t, "")
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 {
			t.Fatalf("no error: %v", out)
		}
		ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
		if ext["code"] != string(auth.CodeAuthFailed) {
			t.Fatalf("errors = %v, want %s", errs, auth.CodeAuthFailed)
		}
	})
}
