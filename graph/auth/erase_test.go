package auth_test

import (
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"authbff/ent/invite"
	"authbff/rest"
	"authbff/rest/apitest"
)

// TestDeleteAccountLeavesNoPersonalData: an account with sessions, tokens, a reset mail
// in the outbox, an organization shared with another member, a pending invitation it
// made and one addressed to it is erased through GraphQL deleteAccount. Then no table
// holds its e-mail, username, IP or user agent; the other member keeps the shared
// organization; the erased account's token stops working.
func TestDeleteAccountLeavesNoPersonalData(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T) string{
		"SQLite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "auth.db") },
		"Postgres": func(t *testing.T) string { return apitest.Postgres(t) },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := mk(t)
			e := apitest.New(t, apitest.WithDatabase(url), apitest.WithREST(func(o *rest.Options) {
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}))
			const ip, ua = "203.0.113.77", "ZelmaBrowser/9.1"
			as := []string{"X-Forwarded-For", ip, "User-Agent", ua}
			pw := "zelma-Erase-Me-42"
			r := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "Zelma.Q@Example.com", "username": "zelmaq", "password": pw}, "", as...)
			if r.Status != 200 {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			access := r.Object(t)["access_token"].(string)
			if r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "zelmaq", "password": pw}, "", as...); r.Status != 200 {
				t.Fatalf("login: %d", r.Status)
			}
			if r := e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": "zelma.q@example.com"}, "", as...); r.Status != 200 {
				t.Fatalf("forgot-password: %d", r.Status)
			}
			bob := e.Register("bobkeeps")
			gql := func(q string, vars map[string]any, token string) *apitest.GQLResponse {
				t.Helper()
				return e.GraphQL(q, vars, token)
			}
			org := gql(`mutation { createOrganization(name: "Shared Co") { organization { id } } }`, nil, access).
				Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
			inv := gql(`mutation($o: ID!) { createInvite(orgId: $o, email: "bobkeeps@example.com", role: MEMBER) { id } }`, map[string]any{"o": org}, access)
			if len(inv.Errors) > 0 {
				t.Fatalf("invite bob: %s", inv.Raw)
			}
			tok := e.WaitMail("bobkeeps@example.com", "invite", 1).Token()
			if r := gql(`mutation($t: String!) { acceptInvite(token: $t) { organization { id } } }`, map[string]any{"t": tok}, bob.Access); len(r.Errors) > 0 {
				t.Fatalf("accept: %s", r.Raw)
			}
			if r := gql(`mutation($o: ID!) { createInvite(orgId: $o, email: "pending.guest@example.com", role: MEMBER) { id } }`, map[string]any{"o": org}, access); len(r.Errors) > 0 {
				t.Fatalf("pending invite: %s", r.Raw)
			}
			if r := gql(`mutation($o: ID!) { createInvite(orgId: $o, email: "zelma.q@example.com", role: ADMIN) { id } }`, map[string]any{"o": bob.WorkspaceID}, bob.Access); len(r.Errors) > 0 {
				t.Fatalf("invite to zelma: %s", r.Raw)
			}

			del := `mutation($p: String!) { deleteAccount(currentPassword: $p) }`
			if r := gql(del, map[string]any{"p": "wrong-password-1"}, access); len(r.Errors) != 1 || r.Errors[0].Code() != "INVALID_PASSWORD" {
				t.Fatalf("wrong password: %s", r.Raw)
			}
			r2 := gql(del, map[string]any{"p": pw}, access)
			if len(r2.Errors) != 1 || r2.Errors[0].Code() != "CONFLICT" || r2.Errors[0].Extensions["details"].(map[string]any)["org_id"] != org {
				t.Fatalf("sole owner of a shared organization: %s", r2.Raw)
			}
			if r := gql(`mutation($o: ID!, $u: ID!) { setMemberRole(orgId: $o, userId: $u, role: OWNER) { role } }`, map[string]any{"o": org, "u": bob.UserID}, access); len(r.Errors) > 0 {
				t.Fatalf("promote bob: %s", r.Raw)
			}
			if r := gql(del, map[string]any{"p": pw}, access); len(r.Errors) > 0 || r.Data["deleteAccount"] != true {
				t.Fatalf("deleteAccount: %s", r.Raw)
			}
			if r := e.Do(http.MethodGet, "/v1/auth/me", nil, access); r.Status != 401 {
				t.Fatalf("the erased account's token: %d, want 401", r.Status)
			}
			if hits := apitest.FindInDatabase(t, url, "zelma", ip, ua); len(hits) > 0 {
				t.Fatalf("personal data left after erasure:\n%s", strings.Join(hits, "\n"))
			}
			// The pending invitation it made is gone (its mail, already sent, names only the
			// organization and the role).
			if n := e.DB.Invite.Query().Where(invite.EmailKey("pending.guest@example.com")).CountX(t.Context()); n != 0 {
				t.Fatalf("%d pending invitations made by the erased account are left", n)
			}
			if hits := apitest.FindInDatabase(t, url, "bobkeeps@example.com", "Shared Co"); len(hits) < 2 {
				t.Fatalf("the other member's data went too: %v", hits)
			}
			if r := gql(`{ organizations { organization { name } role } }`, nil, bob.Access); !strings.Contains(string(r.Raw), "Shared Co") {
				t.Fatalf("bob lost the shared organization: %s", r.Raw)
			}
			if n := e.DB.AuditEvent.Query().CountX(t.Context()); n == 0 {
				t.Fatal("the audit trail was deleted, want it anonymized")
			}
		})
	}
}
