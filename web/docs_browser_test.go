package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"authbff/rest/apitest"
)

// /docs renders the fifteen routes from /openapi.json with no network but the server's.
func TestBrowserDocsListsTheRoutes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	b := newBrowser(t, env.URL)
	b.run("docs",
		chromedp.Navigate(env.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(".opblock-summary-path")),
	)
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	ops, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".opblock")).map(e =>
		e.querySelector(".opblock-summary-method").textContent + " " + e.querySelector(".opblock-summary-path").textContent.replace(/\u200b/g, ""))`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /v1/auth/config", "GET /v1/auth/invite-info", "GET /v1/auth/me", "POST /v1/auth/register",
		"POST /v1/auth/login", "POST /v1/auth/logout", "POST /v1/auth/verify-email", "POST /v1/auth/resend-verification",
		"POST /v1/auth/refresh", "POST /v1/auth/switch-org", "POST /v1/auth/forgot-password", "POST /v1/auth/reset-password",
		"GET /v1/auth/me/profile", "PUT /v1/auth/me/profile", "PUT /v1/auth/me/password",
	}
	for i := range ops {
		ops[i] = strings.TrimSpace(ops[i])
	}
	if !slices.Equal(ops, want) {
		t.Errorf("/docs lists\n%v\nwant\n%v", ops, want)
	}
	b.offline()
}
