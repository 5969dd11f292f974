package rest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"authbff/rest/apitest"
	"authbff/server"
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
	off := apitest.New(t, apitest.WithServer(func(o *server.Options) { o.Playground, o.Docs, o.Pages = false, false, false }))
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

// A client that does not accept gzip (or refuses it explicitly) gets the bundle as it is;
// one that accepts it gets the stored compressed bytes, ranges included.
func TestAssetsUncompressedAndRanges(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	want, err := web.Asset("vendor/swagger-ui/swagger-ui.css")
	if err != nil {
		t.Fatal(err)
	}
	get := func(acceptEncoding, rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/assets/vendor/swagger-ui/swagger-ui.css", nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	for _, ae := range []string{"", "identity", "gzip;q=0", "br, gzip;q=0, *", "*;q=0"} {
		resp, body := get(ae, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) ||
			resp.Header.Get("Content-Type") != "text/css; charset=utf-8" || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: %d %v, %d bytes (want %d as they are)", ae, resp.StatusCode, resp.Header, len(body), len(want))
		}
	}
	for _, ae := range []string{"gzip", "deflate, gzip;q=0.5", "*", "x-gzip"} {
		resp, body := get(ae, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Accept-Encoding %q: %d %v", ae, resp.StatusCode, resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, want) {
			t.Errorf("Accept-Encoding %q: the gzip body does not inflate to the file (%v)", ae, err)
		}
	}
	// A range of the encoded representation.
	_, full := get("gzip", "")
	resp, part := get("gzip", "bytes=10-19")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, full[10:20]) {
		t.Errorf("range: %d %q", resp.StatusCode, part)
	}
}
