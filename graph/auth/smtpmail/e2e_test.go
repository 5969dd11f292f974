package smtpmail_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"authbff/ent"
	"authbff/ent/mail"
	"authbff/graph/auth"
	"authbff/graph/auth/smtpmail"
	"authbff/rest/apitest"
)

// The service under test mails links to this front end.
const frontend = "https://app.example"

// newService starts the real service whose outbox delivers to srvAddr over SMTP.
func newService(t testing.TB, srvAddr string, opts ...apitest.Option) *apitest.Env {
	t.Helper()
	sender := newSender(t, "smtp://"+srvAddr, smtpmail.Options{Timeout: 2 * time.Second})
	cfg := apitest.WithConfig(func(c *auth.Config) {
		c.MailSender = sender
		c.FrontendURL = frontend
		c.MailFrom = "Acme <no-reply@acme.example>"
	})
	return apitest.New(t, append([]apitest.Option{cfg}, opts...)...)
}

// to matches a message whose envelope recipient is addr.
func to(addr string) func(*received) bool {
	return func(m *received) bool {
		return len(m.To) == 1 && strings.EqualFold(m.To[0], addr)
	}
}

// linkTo matches a message to addr carrying a {frontend}{path}?token= link.
func linkTo(addr, path string) func(*received) bool {
	return func(m *received) bool {
		return to(addr)(m) && strings.Contains(m.Text, frontend+path+"?token=")
	}
}

// waitLink runs outbox passes until the n-th message to addr with a link to path and returns the
// link's token, after checking that the HTML part carries the same link.
func waitLink(t testing.TB, e *apitest.Env, srv *testServer, addr, path string, n int) string {
	t.Helper()
	m := srv.WaitAccepted(t, e, n, linkTo(addr, path))[n-1]
	return linkToken(t, m, path)
}

func linkToken(t testing.TB, m *received, path string) string {
	t.Helper()
	if m.ParseErr != nil {
		t.Fatalf("message does not parse: %v", m.ParseErr)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(frontend+path+"?token=") + `([^\s"<&]+)`)
	s := re.FindStringSubmatch(m.Text)
	if s == nil {
		t.Fatalf("no %s link in the text part:\n%s", path, m.Text)
	}
	if !strings.Contains(m.HTML, s[0]) {
		t.Errorf("the HTML part lacks the link %s:\n%s", s[0], m.HTML)
	}
	tok, err := url.QueryUnescape(s[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expectNull asserts a 200 with the JSON null body.
func expectNull(t testing.TB, r *apitest.Response, what string) {
	t.Helper()
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != "null" {
		t.Fatalf("%s: %d %s, want 200 null", what, r.Status, r.Body)
	}
}

func me(t testing.TB, e *apitest.Env, access string) map[string]any {
	t.Helper()
	r := e.Do(http.MethodGet, "/v1/auth/me", nil, access)
	if r.Status != http.StatusOK {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	return r.Object(t)
}

func TestMailFlowsOverSMTP(t *testing.T) {
	t.Parallel()

	t.Run("OK_RegisterMailsVerificationLinkThatVerifies", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		a := e.Register("ana")
		m := srv.WaitAccepted(t, e, 1, linkTo(a.Email, "/verify-email"))[0]
		if m.From != "no-reply@acme.example" || !strings.Contains(m.Header.Get("From"), "Acme") {
			t.Errorf("sender: envelope %q, header %q", m.From, m.Header.Get("From"))
		}
		if m.Subject != "Verify your e-mail address" {
			t.Errorf("Subject = %q", m.Subject)
		}
		tok := linkToken(t, m, "/verify-email")
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": tok}, ""), "verify-email")
		if v := me(t, e, a.Access)["is_verified"]; v != true {
			t.Errorf("is_verified = %v after verifying with the mailed token", v)
		}
	})

	t.Run("OK_ResendVerificationMailsFreshToken", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		a := e.Register("bruno")
		first := waitLink(t, e, srv, a.Email, "/verify-email", 1)
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/resend-verification", map[string]any{"email": a.Email}, ""), "resend-verification")
		second := waitLink(t, e, srv, a.Email, "/verify-email", 2)
		if second == first {
			t.Fatal("resend mailed the same token again")
		}
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": second}, ""), "verify-email")
		if v := me(t, e, a.Access)["is_verified"]; v != true {
			t.Errorf("is_verified = %v", v)
		}
	})

	t.Run("OK_ForgotPasswordMailsResetLinkThatResets", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		a := e.Register("carla")
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""), "forgot-password")
		tok := waitLink(t, e, srv, a.Email, "/reset-password", 1)
		const newPassword = "a-brand-new-Secret-42"
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": tok, "new_password": newPassword}, ""), "reset-password")
		e.Login(a.Username, newPassword)
		notice := srv.WaitAccepted(t, e, 1, func(m *received) bool {
			return to(a.Email)(m) && m.Subject == "Your password was changed"
		})[0]
		if notice.Text == "" || notice.HTML == "" {
			t.Errorf("password-changed notice lacks a part: text %q html %q", notice.Text, notice.HTML)
		}
	})

	t.Run("OK_ChangePasswordMailsNotice", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		a := e.Register("dora")
		r := e.Do(http.MethodPut, "/v1/auth/me/password",
			map[string]any{"current_password": a.Password, "new_password": "another-fine-Secret-7"}, a.Access)
		expectNull(t, r, "change password")
		srv.WaitAccepted(t, e, 1, func(m *received) bool {
			return to(a.Email)(m) && m.Subject == "Your password was changed" && m.Text != "" && m.HTML != ""
		})
	})

	t.Run("OK_InvitationMailAdmitsRegistration", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		owner := e.Register("olga")
		g := e.GraphQL(`mutation { createOrganization(name:"Acme") { organization { id } } }`, nil, owner.Access)
		if len(g.Errors) > 0 {
			t.Fatalf("createOrganization: %s", g.Raw)
		}
		orgID := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
		const invitee = "newbie@example.com"
		g = e.GraphQL(`mutation($org: ID!, $email: String!) { createInvite(orgId: $org, email: $email, role: MEMBER) { id } }`,
			map[string]any{"org": orgID, "email": invitee}, owner.Access)
		if len(g.Errors) > 0 {
			t.Fatalf("createInvite: %s", g.Raw)
		}
		m := srv.WaitAccepted(t, e, 1, linkTo(invitee, "/accept-invite"))[0]
		if !strings.Contains(m.Text, "Acme") {
			t.Errorf("the invitation does not name the organization:\n%s", m.Text)
		}
		tok := linkToken(t, m, "/accept-invite")

		r := e.Do(http.MethodGet, "/v1/auth/invite-info?token="+url.QueryEscape(tok), nil, "")
		if r.Status != http.StatusOK || r.Object(t)["valid"] != true {
			t.Fatalf("invite-info: %d %s", r.Status, r.Body)
		}
		r = e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": invitee, "username": "newbie",
			"password": "pw-newbie-Secret!", "invite_token": tok}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("register with invite_token: %d %s", r.Status, r.Body)
		}
		body := r.Object(t)
		if v := body["user"].(map[string]any)["is_verified"]; v != true {
			t.Errorf("is_verified = %v after registering with an invitation", v)
		}
		g = e.GraphQL(`{ organizations { organization { id } role } }`, nil, body["access_token"].(string))
		if len(g.Errors) > 0 {
			t.Fatalf("organizations: %s", g.Raw)
		}
		joined := false
		for _, o := range g.Data["organizations"].([]any) {
			o := o.(map[string]any)
			if o["organization"].(map[string]any)["id"] == orgID && o["role"] == "MEMBER" {
				joined = true
			}
		}
		if !joined {
			t.Errorf("the invitee is not a MEMBER of Acme: %s", g.Raw)
		}
	})

	t.Run("OK_NothingSentForUnknownAddress", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		e := newService(t, srv.Addr)
		a := e.Register("emil")
		waitLink(t, e, srv, a.Email, "/verify-email", 1)
		const unknown = "nobody@example.com"
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": unknown}, ""), "forgot-password")
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/resend-verification", map[string]any{"email": unknown}, ""), "resend-verification")
		// Queued after the requests for the unknown address: once it arrives, the
		// outbox (oldest first) has passed where their mail would be.
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""), "forgot-password")
		waitLink(t, e, srv, a.Email, "/reset-password", 1)
		for _, m := range srv.Attempts() {
			if !to(a.Email)(m) {
				t.Errorf("the server received mail for %v", m.To)
			}
		}
		if n := e.DB.Mail.Query().Where(mail.ToEqualFold(unknown)).CountX(context.Background()); n != 0 {
			t.Errorf("the outbox holds %d messages for the unknown address", n)
		}
	})
}

func TestOutboxOverSMTP(t *testing.T) {
	t.Parallel()

	t.Run("OK_PermanentRefusalMarkedFailedAfterThreeAttempts", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		srv.Fail(refuse5xx, 1000)
		e := newService(t, srv.Addr)
		a := e.Register("hank")
		var row *ent.Mail
		waitUntil(t, e, func() bool {
			makeRetriesDue(t, e)
			row = e.DB.Mail.Query().Where(mail.ToEqualFold(a.Email)).OnlyX(context.Background())
			return row.Status == mail.StatusFailed
		}, func() string { return "attempts: " + describe(srv.Attempts()) })
		if row.Attempts != auth.MailPermanentRetries {
			t.Errorf("attempts = %d, want %d", row.Attempts, auth.MailPermanentRetries)
		}
		if row.TextBody != "" || row.HTMLBody != "" {
			t.Error("a failed message keeps its body (and the token in it)")
		}
		if !strings.Contains(row.LastError, "554") {
			t.Errorf("last_error = %q, want the server's refusal", row.LastError)
		}
	})

	t.Run("OK_RefusedThreeTimesThenEveryMessageDeliveredOnce", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		srv.Fail(refuse4xx, 3)
		e := newService(t, srv.Addr)
		a := e.Register("fred")
		b := e.Register("gina")
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""), "forgot-password")

		waitUntil(t, e, func() bool {
			makeRetriesDue(t, e)
			return len(srv.Accepted()) >= 3
		}, func() string { return "attempts: " + describe(srv.Attempts()) })

		// A later message proves the worker has run again since every retry was
		// due (it sends oldest first): a duplicate would have left before it.
		e.Clock.Advance(3 * time.Minute) // past the sending lease too
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": b.Email}, ""), "forgot-password")
		waitLink(t, e, srv, b.Email, "/reset-password", 1)

		perID := map[string]int{}
		for _, m := range srv.Accepted() {
			perID[m.MessageID]++
		}
		if len(perID) != 4 {
			t.Errorf("accepted %d distinct messages, want 4: %s", len(perID), describe(srv.Accepted()))
		}
		for id, n := range perID {
			if n != 1 {
				t.Errorf("message %s accepted %d times", id, n)
			}
		}
		for _, m := range srv.Attempts() {
			if m.Fault == refuse4xx && perID[m.MessageID] != 1 {
				t.Errorf("the refused attempt %s was not retried under the same Message-ID", m.MessageID)
			}
		}
		if refused := len(srv.Attempts()) - len(srv.Accepted()); refused != 3 {
			t.Errorf("%d refused attempts, want 3", refused)
		}
		rows := waitSent(t, e, 4)
		attempts := 0
		for _, r := range rows {
			attempts += r.Attempts
		}
		if attempts != 4+3 {
			t.Errorf("the outbox counts %d attempts, want 7", attempts)
		}
		// The verification link of a message delivered after refusals still works.
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/verify-email",
			map[string]any{"token": waitLink(t, e, srv, a.Email, "/verify-email", 1)}, ""), "verify-email")
	})

	t.Run("OK_ServerDownRequestsSucceedMailArrivesLater", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t) // nothing listens here until the server starts below
		e := newService(t, addr)
		a := e.Register("hugo")
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""), "forgot-password")
		ctx := context.Background()
		waitUntil(t, e, func() bool {
			return e.DB.Mail.Query().Where(mail.StatusEQ(mail.StatusPending), mail.AttemptsGTE(1), mail.LastErrorNEQ("")).
				CountX(ctx) == 2
		}, func() string { return "the outbox has not recorded failed attempts" })

		srv := startServer(t, onAddr(addr))
		e.Clock.Advance(time.Minute)
		tok := waitLink(t, e, srv, a.Email, "/verify-email", 1)
		waitLink(t, e, srv, a.Email, "/reset-password", 1)
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": tok}, ""), "verify-email")
	})

	t.Run("OK_BacklogDeliveredAfterRestartBodiesDropped", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		db := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
		var ana, ben *apitest.Account
		t.Run("QueuedWhileWorkerStopped", func(t *testing.T) {
			e := newService(t, srv.Addr, apitest.WithDatabase(db), apitest.WithoutMailer())
			ana, ben = e.Register("ana"), e.Register("ben")
			expectNull(t, e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": ana.Email}, ""), "forgot-password")
			rows := e.DB.Mail.Query().AllX(context.Background())
			if len(rows) != 3 {
				t.Fatalf("outbox holds %d messages, want 3", len(rows))
			}
			for _, r := range rows {
				if r.Kind == "request:reset_password" {
					// forgot-password queues a request the worker expands into the mail
					// (the same work whether or not the address has an account).
					if r.Status != mail.StatusPending || r.To != ana.Email {
						t.Errorf("queued request %s: status %s, to %q", r.ID, r.Status, r.To)
					}
					continue
				}
				if r.Status != mail.StatusPending || !strings.Contains(r.TextBody, frontend) || r.HTMLBody == "" {
					t.Errorf("queued message %s: status %s, text %q, html %q", r.ID, r.Status, r.TextBody, r.HTMLBody)
				}
			}
		})
		if len(srv.Attempts()) != 0 {
			t.Fatalf("mail left while the worker was stopped: %s", describe(srv.Attempts()))
		}

		e := newService(t, srv.Addr, apitest.WithDatabase(db))
		waitLink(t, e, srv, ana.Email, "/verify-email", 1)
		waitLink(t, e, srv, ben.Email, "/verify-email", 1)
		tok := waitLink(t, e, srv, ana.Email, "/reset-password", 1)
		for _, r := range waitSent(t, e, 3) {
			if r.TextBody != "" || r.HTMLBody != "" {
				t.Errorf("sent message %s keeps its body", r.ID)
			}
			if r.SentAt == nil || r.Attempts != 1 || r.LastError != "" {
				t.Errorf("sent message %s: sent_at %v, attempts %d, last_error %q", r.ID, r.SentAt, r.Attempts, r.LastError)
			}
		}
		expectNull(t, e.Do(http.MethodPost, "/v1/auth/reset-password",
			map[string]any{"token": tok, "new_password": "after-restart-Secret-9"}, ""), "reset-password")
	})
}

// makeRetriesDue moves the service clock to the latest retry the outbox has scheduled,
// so that the worker's next poll (every 2 s) sends it instead of waiting out the
// backoff.
func makeRetriesDue(t testing.TB, e *apitest.Env) {
	t.Helper()
	now := e.Clock.Now()
	rows, err := e.DB.Mail.Query().Where(mail.StatusEQ(mail.StatusPending), mail.NextAttemptAtGT(now)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var d time.Duration
	for _, r := range rows {
		d = max(d, r.NextAttemptAt.Sub(now))
	}
	if d > 0 {
		e.Clock.Advance(d)
	}
}

// waitSent waits until the outbox holds n messages, all marked sent, and returns them.
func waitSent(t testing.TB, e *apitest.Env, n int) []*ent.Mail {
	t.Helper()
	ctx := context.Background()
	var rows []*ent.Mail
	waitUntil(t, e, func() bool {
		rows = e.DB.Mail.Query().AllX(ctx)
		if len(rows) != n {
			return false
		}
		for _, r := range rows {
			if r.Status != mail.StatusSent {
				return false
			}
		}
		return true
	}, func() string {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(" " + r.To + ":" + string(r.Status))
		}
		return "outbox:" + b.String()
	})
	return rows
}
