package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"authbff/rest/apitest"
)

// The playground loads with no network but the server's, under the service's CSP, and
// runs a query: GraphiQL, React and the styles all come from the binary.
func TestBrowserPlaygroundRunsAQueryOffline(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	b := newBrowser(t, env.URL)
	q := "{ authConfig { allowRegistration } }"
	b.run("playground",
		chromedp.Navigate(env.URL+"/playground?query="+url.QueryEscape(q)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.WaitVisible(chromedp.Search(`//section[contains(@class,"result-window")]//*[contains(text(),"allowRegistration")]`)),
	)
	result := b.text("section.result-window")
	if !strings.Contains(result, `"allowRegistration": true`) {
		t.Errorf("result pane: %q", result)
	}
	b.offline()
}

// The headers pane carries the bearer token: a signed-in query works, and the token is
// not written to the browser's storage.
func TestBrowserPlaygroundBearerHeader(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Register("turing")
	b := newBrowser(t, env.URL)
	headers := `{"Authorization": "Bearer ` + a.Access + `"}`
	b.run("playground",
		chromedp.Navigate(env.URL+"/playground?query="+url.QueryEscape("{ me { username } }")),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-editor-tool .CodeMirror")),
		// The headers editor is the tools pane's editor that is not hidden (the page opens it).
		eval(`document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").CodeMirror.setValue(`+
			strconv.Quote(headers)+`)`),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.WaitVisible(chromedp.Search(`//section[contains(@class,"result-window")]//*[contains(text(),"turing")]`)),
	)
	if result := b.text("section.result-window"); !strings.Contains(result, `"username": "turing"`) {
		t.Errorf("result pane: %q", result)
	}
	stored, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(Object.assign({}, localStorage, sessionStorage))`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, a.Access) {
		t.Errorf("the access token is in the browser's storage: %s", stored)
	}
	if !strings.Contains(stored, "graphiql") {
		t.Errorf("GraphiQL stored nothing at all (is the check looking at the right place?): %s", stored)
	}
	b.offline()
}
