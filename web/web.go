// Package web holds the browser pages authbff serves itself, embedded in the binary so
// they work offline and under the service's own Content-Security-Policy: GraphiQL at
// /playground, Swagger UI at /docs, and the small pages e-mail links lead to when no
// front end is configured (/verify-email, /reset-password, /accept-invite).
//
// Third-party code lives in vendor/, copied from pinned npm packages by
// scripts/update-ui-assets.sh (never edited by hand); static/ is ours. No page carries an
// inline script: every script is a file under /assets/, so the CSP allows scripts from
// 'self' only.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed vendor static
var files embed.FS

// AssetPrefix is where Assets is mounted.
const AssetPrefix = "/assets/"

// CSP is the Content-Security-Policy of every page here: scripts, styles and fetches
// from the service itself only. Styles allow 'unsafe-inline' because GraphiQL and
// Swagger UI set style attributes; fonts and images allow data: URIs (GraphiQL inlines its
// fonts, Swagger UI its icons). Nothing may frame the pages.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Versions returns the npm package versions embedded in vendor/ (vendor/VERSIONS.json,
// written by scripts/update-ui-assets.sh).
func Versions() (map[string]string, error) {
	b, err := files.ReadFile("vendor/VERSIONS.json")
	if err != nil {
		return nil, err
	}
	v := map[string]string{}
	return v, json.Unmarshal(b, &v)
}

// FS is the embedded tree (vendor/ and static/), for tests.
func FS() fs.FS { return files }

// Assets serves the embedded scripts and styles under AssetPrefix. They change only with
// the binary, so browsers may keep them for an hour.
func Assets() http.Handler {
	fileServer := http.StripPrefix(AssetPrefix, http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, AssetPrefix)
		if !(strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css")) {
			http.NotFound(w, r) // no directory listings, no licences or version files as pages
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		fileServer.ServeHTTP(w, r)
	})
}

// Page serves one of the HTML pages in static/ (name without .html) under CSP.
func Page(name string) http.Handler {
	body, err := files.ReadFile("static/" + name + ".html")
	if err != nil {
		panic("web: no page " + name)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", CSP)
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}
