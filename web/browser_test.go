package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium tab whose network reaches only the test server: every
// other request is failed (and recorded, so a page that tries to load a CDN fails its
// test), and the host resolver maps every name to nothing.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	mu      sync.Mutex
	blocked []string
	console []string
}

// chromiumPath finds Debian's chromium. Outside CI a missing browser skips the test with
// a message; in CI (CI=true) it fails: .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("SKIPPED browser test: chromium not found. Install it (apt-get install -y chromium) and run go test ./web/")
	return ""
}

// shared is the one Chromium process of the test binary; each test gets its own tab
// (a new target, with its own origin since each test server has its own port).
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel() // stops Chromium
	}
	os.Exit(code)
}

// newBrowser opens a tab for one test; on failure a screenshot of the page goes to a
// temp dir whose path the test log names.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath(t)
	shared.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
			chromedp.DisableGPU,
			chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
			chromedp.WindowSize(1280, 900),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelCtx := chromedp.NewContext(actx)
		shared.ctx, shared.cancel = bctx, func() { cancelCtx(); cancelAlloc() }
		shared.err = chromedp.Do(bctx) // starts the browser, with no deadline
	})
	if shared.err != nil {
		t.Fatalf("starting chromium: %v", shared.err)
	}
	ctx, cancelCtx := chromedp.NewContext(shared.ctx)
	cancelAlloc := func() {}
	b := &browser{t: t, ctx: ctx, base: base}
	// Subscribing opens the tab (with no deadline: it lives as long as ctx).
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	console := chromedp.Console(ctx)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if strings.HasPrefix(ev.Request.URL, base+"/") {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			b.mu.Lock()
			b.blocked = append(b.blocked, ev.Request.URL)
			b.mu.Unlock()
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID,
				ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			b.log(fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
		}
	}()
	_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
	if err == nil {
		_, err = chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	}
	if err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot()
			b.mu.Lock()
			t.Logf("browser console:\n%s", strings.Join(b.console, "\n"))
			b.mu.Unlock()
		}
		cancelCtx()
		cancelAlloc()
	})
	return b
}

func (b *browser) log(s string) {
	b.mu.Lock()
	b.console = append(b.console, s)
	b.mu.Unlock()
}

func (b *browser) screenshot() {
	dir, err := os.MkdirTemp("", "authbff-browser-")
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot failed: %v", err)
		return
	}
	p := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		b.t.Logf("screenshot of the failing page: %s", p)
	}
}

// run runs steps, each within 20 s, and fails the test if one fails.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	for i, s := range steps {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		start := time.Now()
		_, err := chromedp.Run(ctx, s)
		cancel()
		b.t.Logf("%s step %d: %v", what, i+1, time.Since(start))
		if err != nil {
			b.t.Fatalf("%s, step %d: %v", what, i+1, err)
		}
	}
}

// text returns the text of the first element matching the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// offline fails the test if the page tried to reach anything but the server.
func (b *browser) offline() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.blocked) > 0 {
		b.t.Errorf("the page tried to load from outside the server: %v", b.blocked)
	}
	for _, c := range b.console {
		if strings.Contains(c, "Content Security Policy") || strings.Contains(c, "Content-Security-Policy") {
			b.t.Errorf("CSP violation: %s", c)
		}
	}
}
