package rest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// The README's quick start runs as written: its shell block, against a real server,
// registers, reads /me with the captured access token, logs in and refreshes with the
// captured refresh token.
func TestREADMEQuickStartRuns(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; .ci/run installs it", tool)
			}
			t.Skipf("SKIPPED the README quick start: %s not found", tool)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- quickstart:begin")
	block, _, ok2 := strings.Cut(block, "<!-- quickstart:end -->")
	_, block, ok3 := strings.Cut(block, "```sh\n")
	block, _, ok4 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 || !ok4 {
		t.Fatal("README has no quickstart block")
	}
	env := apitest.New(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
	cmd.Env = append(os.Environ(), "BASE="+env.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quick start failed: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		`{"user_id":`,           // /me with the captured access token
		`"username":"ada"`,      // ...the right user
		`"token_type":"bearer"`, // login
		`"refresh_token":"`,     // refresh with the captured refresh token
	} {
		if !strings.Contains(got, want) {
			t.Errorf("quick start output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"error"`) || strings.Contains(got, `"detail"`) {
		t.Errorf("a quick start command failed:\n%s", got)
	}
	if n := strings.Count(got, `"access_token":"`); n != 2 {
		t.Errorf("want login and refresh to answer tokens, got %d:\n%s", n, got)
	}
}
