package web_test

import (
	"net/url"
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
