package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"authbff/rest/apitest"
)

// pageEnv is a server whose e-mail links lead to its own pages, delivering mail over
// real SMTP to a sink.
func pageEnv(t *testing.T) (*apitest.Env, *apitest.SMTPSink) {
	t.Helper()
	sink := apitest.StartSMTP(t)
	env := apitest.New(t, apitest.WithLinksToServer(), apitest.WithSMTP(t, sink))
	return env, sink
}

// link takes the link to path from a message and checks it leads to the server.
func link(t *testing.T, env *apitest.Env, m apitest.SMTPMessage, path string) string {
	t.Helper()
	l := m.Link(path)
	if !strings.HasPrefix(l, env.URL+path+"?token=") {
		t.Fatalf("no %s link to the server in the mail %q:\n%s", path, m.Subject, m.Text)
	}
	return l
}

// eval runs JavaScript in the page as a step.
func eval(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, t)
		return err
	})
}

func (b *browser) waitText(sel, want string) string {
	b.t.Helper()
	b.run("wait for "+want, chromedp.WaitVisible(chromedp.Search(`//*[@id="`+strings.TrimPrefix(sel, "#")+`" and contains(., "`+want+`")]`)))
	return b.text(sel)
}

// Opening the verification link verifies the address: the page sends the token by
// itself and says so, and drops the token from the address bar.
func TestBrowserVerifyEmailPage(t *testing.T) {
	t.Parallel()
	env, sink := pageEnv(t)
	a := env.Register("grace")
	b := newBrowser(t, env.URL)
	b.run("open the link", chromedp.Navigate(link(t, env, sink.Wait(t, a.Email, 1), "/verify-email")))
	b.waitText("#status", "Your e-mail address is verified")
	me := env.Do(http.MethodGet, "/v1/auth/me", nil, a.Access).Object(t)
	if me["is_verified"] != true {
		t.Errorf("after the page: is_verified = %v", me["is_verified"])
	}
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil || strings.Contains(loc, "token=") {
		t.Errorf("the address bar keeps the token: %q %v", loc, err)
	}
	// The same link again: spent.
	b.run("open it again", chromedp.Navigate(link(t, env, sink.Wait(t, a.Email, 1), "/verify-email")))
	b.waitText("#status", "invalid, expired or already used")
	b.offline()
}

// The reset link asks for the new password, sets it, and the old one stops working.
func TestBrowserResetPasswordPage(t *testing.T) {
	t.Parallel()
	env, sink := pageEnv(t)
	a := env.Register("hopper")
	sink.Wait(t, a.Email, 1) // the verification mail
	if r := env.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != 200 {
		t.Fatalf("forgot-password: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, env.URL)
	const newPassword = "a new and long passphrase"
	b.run("reset",
		chromedp.Navigate(link(t, env, sink.Wait(t, a.Email, 2), "/reset-password")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), "short"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "short"),
		// Past the browser's own check, to see the server's 422 on the page.
		eval(`document.getElementById("reset").noValidate = true`),
		chromedp.Click(chromedp.CSS(`#reset button[type=submit]`)),
	)
	b.waitText("#status", "String should have at least 8 characters")
	b.run("reset again",
		eval(`document.getElementById("password").value = ""; document.getElementById("confirm").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#password"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS(`#reset button[type=submit]`)),
	)
	b.waitText("#status", "Your password is changed")
	if r := env.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": newPassword}, ""); r.Status != 200 {
		t.Errorf("login with the new password: %d %s", r.Status, r.Body)
	}
	if r := env.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": a.Password}, ""); r.Status != 401 {
		t.Errorf("login with the old password: %d", r.Status)
	}
	b.offline()
}

// The invitation link shows the invitation; a newcomer registers there and joins, and
// an existing user signs in there and joins.
func TestBrowserAcceptInvitePage(t *testing.T) {
	t.Parallel()
	env, sink := pageEnv(t)
	owner := env.Register("owner")
	org := env.GraphQL(`mutation { createOrganization(name: "Analytical Engines") { organization { id } } }`, nil, owner.Access)
	if len(org.Errors) > 0 {
		t.Fatalf("createOrganization: %+v", org.Errors)
	}
	orgID := org.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	invite := func(email string) {
		t.Helper()
		r := env.GraphQL(`mutation($o: ID!, $e: String!) { createInvite(orgId: $o, email: $e, role: MEMBER) { id } }`,
			map[string]any{"o": orgID, "e": email}, owner.Access)
		if len(r.Errors) > 0 {
			t.Fatalf("createInvite: %+v", r.Errors)
		}
	}
	orgsOf := func(username, password string) string {
		t.Helper()
		access, _ := env.Login(username, password)
		r := env.GraphQL(`{ organizations { organization { name } role } }`, nil, access)
		return string(r.Raw)
	}

	// A newcomer registers from the page.
	invite("lovelace@example.com")
	b := newBrowser(t, env.URL)
	b.run("open the invitation", chromedp.Navigate(link(t, env, sink.Wait(t, "lovelace@example.com", 1), "/accept-invite")))
	b.waitText("#status", "You are invited as lovelace@example.com")
	b.run("register",
		chromedp.SendKeys(chromedp.CSS("#reg-username"), "lovelace"),
		chromedp.SendKeys(chromedp.CSS("#reg-password"), "notes on the engine"),
		chromedp.Click(chromedp.CSS(`#register button[type=submit]`)),
	)
	b.waitText("#status", "you joined the organization")
	if got := orgsOf("lovelace", "notes on the engine"); !strings.Contains(got, `"name":"Analytical Engines"},"role":"MEMBER"`) {
		t.Errorf("the newcomer's organizations: %s", got)
	}

	// An existing user signs in from the page.
	babbage := env.Register("babbage")
	invite(babbage.Email)
	b.run("open the second invitation", chromedp.Navigate(link(t, env, sink.Wait(t, babbage.Email, 2), "/accept-invite")))
	b.waitText("#status", "You are invited as "+babbage.Email)
	b.run("sign in",
		chromedp.SendKeys(chromedp.CSS("#login-password"), babbage.Password),
		chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
	)
	b.waitText("#status", "You joined Analytical Engines as member")
	if got := orgsOf(babbage.Username, babbage.Password); !strings.Contains(got, `"name":"Analytical Engines"},"role":"MEMBER"`) {
		t.Errorf("the existing user's organizations: %s", got)
	}

	// A spent invitation says so.
	b.run("reopen", chromedp.Navigate(link(t, env, sink.Wait(t, babbage.Email, 2), "/accept-invite")))
	b.waitText("#status", "invalid, expired, already used or withdrawn")
	b.offline()
}
