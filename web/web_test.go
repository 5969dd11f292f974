package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/web"
)

// The embedded third-party builds are the versions pinned in web/_npm/package.json:
// scripts/update-ui-assets.sh wrote vendor/VERSIONS.json from the installed packages.
func TestEmbeddedVersionsArePinned(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("_npm/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	got, err := web.Versions()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"graphiql", "react", "react-dom", "swagger-ui-dist"} {
		pin := pkg.DevDependencies[name]
		if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(pin) {
			t.Errorf("%s is pinned as %q; want an exact version", name, pin)
		}
		if got[name] != pin {
			t.Errorf("embedded %s is %q, pinned %q: run scripts/update-ui-assets.sh", name, got[name], pin)
		}
	}
	// Swagger UI states its own version in the bundle: the file is the one VERSIONS names.
	bundle, err := web.Asset("vendor/swagger-ui/swagger-ui-bundle.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bundle), `PACKAGE_VERSION:"`+got["swagger-ui-dist"]+`"`) {
		t.Errorf("swagger-ui-bundle.js is not version %s", got["swagger-ui-dist"])
	}
}

// No page carries an inline script or handler (the CSP allows scripts from 'self' only),
// and nothing is loaded from another origin.
func TestPagesHaveNoInlineScriptsOrRemoteURLs(t *testing.T) {
	t.Parallel()
	script := regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=|javascript:`)
	remote := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)
	err := fs.WalkDir(web.FS(), "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, _ := fs.ReadFile(web.FS(), p)
		for _, m := range script.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s has an inline script: %q", p, m[0])
			}
		}
		if m := handler.FindString(string(b)); m != "" {
			t.Errorf("%s has an inline handler: %q", p, m)
		}
		if m := remote.FindString(string(b)); m != "" {
			t.Errorf("%s loads from another origin: %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.StripPrefix("", web.Assets()))
	defer srv.Close()
	for _, c := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/assets/vendor/graphiql/graphiql.min.js", 200, "text/javascript; charset=utf-8"},
		{"/assets/vendor/graphiql/graphiql.min.css", 200, "text/css; charset=utf-8"},
		{"/assets/static/playground.js", 200, "text/javascript; charset=utf-8"},
		{"/assets/vendor/VERSIONS.json", 404, ""},
		{"/assets/vendor/", 404, ""},
		{"/assets/static/playground.html", 404, ""},
		{"/assets/../web.go", 404, ""},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || (c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype) {
			t.Errorf("GET %s: %d %q; want %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.ctype)
		}
	}
}

// The built-in forms state the same field rules as the validation (graph/auth).
func TestPageFormsStateTheFieldRules(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		b, err := fs.ReadFile(web.FS(), "static/"+name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	input := regexp.MustCompile(`<input id="([a-z-]+)"[^>]*>`)
	attrs := func(page string) map[string]string {
		out := map[string]string{}
		for _, m := range input.FindAllStringSubmatch(read(page), -1) {
			out[m[1]] = m[0]
		}
		return out
	}
	password := fmt.Sprintf(`minlength="%d" maxlength="%d"`, auth.PasswordMinLen, auth.PasswordMaxLen)
	username := fmt.Sprintf(`minlength="%d" maxlength="%d" pattern="%s"`, auth.UsernameMinLen, auth.UsernameMaxLen,
		strings.ReplaceAll(strings.Trim(auth.UsernamePattern, "^$"), "-]", `\-]`))
	for _, c := range []struct{ page, id, want string }{
		{"reset-password.html", "password", password},
		{"reset-password.html", "confirm", password},
		{"accept-invite.html", "reg-password", password},
		{"accept-invite.html", "reg-username", username},
		{"verify-email.html", "email", fmt.Sprintf(`maxlength="%d"`, auth.EmailMaxLen)},
	} {
		if tag := attrs(c.page)[c.id]; !strings.Contains(tag, c.want) {
			t.Errorf("%s #%s: %s does not state %s", c.page, c.id, tag, c.want)
		}
	}
}

// Every page is written with the one shared head (static/head.html): the same doctype,
// language, charset, viewport and favicon line, then its own title and style sheets.
func TestPagesShareTheHead(t *testing.T) {
	t.Parallel()
	head := regexp.MustCompile(`^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
		`<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n` +
		`<title>([^<{}]+)</title>\n(?:<link rel="stylesheet" href="/assets/[^"]+\.css">\n)+</head>\n<body[ >]`)
	pages, err := fs.Glob(web.FS(), "static/*.html")
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "static/"), ".html")
		if name == "head" {
			continue
		}
		b, err := web.Render(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := head.FindSubmatch(b)
		if m == nil {
			t.Errorf("%s does not start with the shared head:\n%.400s", name, b)
			continue
		}
		if titles[string(m[1])] {
			t.Errorf("%s repeats the title %q", name, m[1])
		}
		titles[string(m[1])] = true
		if bytes.Count(b, []byte("<head>")) != 1 || !bytes.HasSuffix(b, []byte("</body>\n</html>\n")) || bytes.Contains(b, []byte("{{")) {
			t.Errorf("%s is not one whole page:\n%s", name, b)
		}
	}
	if len(titles) != 5 {
		t.Errorf("%d pages rendered, want playground, docs and the three e-mail pages", len(titles))
	}
	for _, name := range []string{"head", "nope", "../web", "static/docs"} {
		if _, err := web.Render(name); err == nil {
			t.Errorf("Render(%q) succeeded; want no such page", name)
		}
	}
}
