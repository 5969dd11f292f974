package web_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// A client generated from /openapi.json works against the real server, as a client team
// would use it: openapi-typescript turns the served document into types, tsc checks
// web/_npm/client/client.ts against them (every path, body and answer field it uses),
// and the compiled client (openapi-fetch) runs a session: register, conflict, 422, /me,
// 401, profile, invite-info, refresh, switch-org, logout.
func TestGeneratedClientWorks(t *testing.T) {
	t.Parallel()
	node := npmTool(t)
	env := apitest.New(t)
	r := env.Do("GET", "/openapi.json", nil, "")
	if r.Status != 200 {
		t.Fatalf("/openapi.json: %d", r.Status)
	}
	// Inside web/_npm, so that the client resolves openapi-fetch from its node_modules.
	dir, err := os.MkdirTemp("_npm", ".gen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, f := range []string{"client.ts", "tsconfig.json"} {
		b, err := os.ReadFile(filepath.Join("_npm", "client", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), r.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(what string, args ...string) string {
		t.Helper()
		out, err := exec.Command(node, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return string(out)
	}
	run("openapi-typescript", "_npm/node_modules/openapi-typescript/bin/cli.js", filepath.Join(dir, "openapi.json"), "-o", filepath.Join(dir, "api.d.ts"))
	run("tsc: the client does not type-check against the generated types", "_npm/node_modules/typescript/bin/tsc", "-p", dir)
	if out := run("the generated client", filepath.Join(dir, "out", "client.js"), env.URL); !strings.Contains(out, "generated client: OK") {
		t.Errorf("client output: %s", out)
	}
}
