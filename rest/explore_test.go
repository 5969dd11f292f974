package rest_test

import (
	"net/http"
	"testing"

	"authbff/rest"
	"authbff/rest/apitest"
	"authbff/web"
)

// The pages are served under their own CSP (scripts from the server only), and each
// switch removes its pages.
func TestExplorePagesAndSwitches(t *testing.T) {
	t.Parallel()
	pages := []string{"/playground", "/docs", "/verify-email", "/reset-password", "/accept-invite"}
	on := apitest.New(t)
	for _, p := range pages {
		r := on.Do(http.MethodGet, p, nil, "")
		if r.Status != 200 || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			r.Header.Get("Content-Security-Policy") != web.CSP || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d %v", p, r.Status, r.Header)
		}
		if r := on.Do(http.MethodPost, p, nil, ""); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET" {
			t.Errorf("POST %s: %d Allow %q", p, r.Status, r.Header.Get("Allow"))
		}
	}
	if r := on.Do(http.MethodGet, "/assets/static/pages.js", nil, ""); r.Status != 200 {
		t.Errorf("assets: %d", r.Status)
	}
	off := apitest.New(t, apitest.WithREST(func(o *rest.Options) { o.Playground, o.Docs, o.Pages = false, false, false }))
	for _, p := range append(pages, "/openapi.json", "/assets/static/pages.js") {
		r := off.Do(http.MethodGet, p, nil, "")
		if r.Status != http.StatusNotFound {
			t.Errorf("switched off, GET %s: %d", p, r.Status)
		}
	}
	// The API keeps its strict policy.
	if r := on.Do(http.MethodGet, "/v1/auth/config", nil, ""); r.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("API CSP: %q", r.Header.Get("Content-Security-Policy"))
	}
}

// The bundles travel compressed when the browser accepts it.
func TestAssetsCompressed(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/assets/vendor/swagger-ui/swagger-ui-bundle.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("%d %v", resp.StatusCode, resp.Header)
	}
}
