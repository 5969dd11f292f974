// Package web holds the browser pages authbff serves itself, embedded in the binary so
// they work offline and under the service's own Content-Security-Policy: GraphiQL at
// /playground, Swagger UI at /docs, and the small pages e-mail links lead to when no
// front end is configured (/verify-email, /reset-password, /accept-invite).
//
// Third-party code lives in vendor/, copied from pinned npm packages by
// scripts/update-ui-assets.sh (never edited by hand); static/ is ours. The pages are
// html/templates sharing one head (static/head.html), rendered once when mounted. No page
// carries an inline script: every script is a file under /assets/, so the CSP allows
// scripts from 'self' only.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
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
//
// The third-party bundles are embedded gzip-compressed (vendor/**/*.gz, written by
// scripts/update-ui-assets.sh): 0.9 MB in the binary instead of 3.5 MB, which matters
// because the kernel keeps the whole binary resident (issue 12: idle RSS), and no CPU
// spent compressing per request. A browser that accepts gzip gets the stored bytes
// (ranges and conditional requests as usual); any other client gets them decompressed
// as a stream, whole (Range ignored), in bounded memory. Our own files under static/
// are a few KiB and are served as they are.
func Assets() http.Handler {
	fileServer := http.StripPrefix(AssetPrefix, http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, AssetPrefix)
		if !(strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".css")) {
			http.NotFound(w, r) // no directory listings, no licences or version files as pages
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		gz, err := files.ReadFile(name + ".gz")
		if err != nil {
			fileServer.ServeHTTP(w, r)
			return
		}
		h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(gz))
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			panic("web: " + name + ".gz: " + err.Error()) // the embedded file is ours: a build defect
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.Copy(w, zr)
	})
}

// acceptsGzip reports whether Accept-Encoding values allow gzip (RFC 9110 §12.5.3):
// "gzip" or "x-gzip" with a quality above zero, else "*" with one.
func acceptsGzip(values []string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(param, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				anyQ = max(anyQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// Asset returns an embedded asset's content as served to a client (a vendor bundle
// decompressed), for tests and tools.
func Asset(name string) ([]byte, error) {
	if b, err := files.ReadFile(name); err == nil {
		return b, nil
	}
	gz, err := files.ReadFile(name + ".gz")
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Page serves one of the HTML pages in static/ (name without .html) under CSP. It
// panics if the page does not exist or does not render (a start-up error).
func Page(name string) http.Handler {
	body, err := Render(name)
	if err != nil {
		panic("web: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", CSP)
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}

// Render returns the HTML of the page static/<name>.html. A page is a template that
// defines its "title" and "styles" and starts with the "head" every page shares
// (static/head.html), so the head's meta tags are written once.
func Render(name string) ([]byte, error) {
	if name == headTemplate || strings.ContainsAny(name, "/.") {
		return nil, fmt.Errorf("no page %q", name)
	}
	t, err := template.ParseFS(files, "static/"+headTemplate+".html", "static/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("page %q: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name+".html", nil); err != nil {
		return nil, fmt.Errorf("page %q: %w", name, err)
	}
	return b.Bytes(), nil
}

// headTemplate is the file (static/head.html) holding the shared head, not a page.
const headTemplate = "head"
