package auth_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"authbff/ent/mail"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// countingSender accepts every message and counts them by recipient; its first send
// makes the database read-only (the mark "sent" then fails).
type countingSender struct {
	mu      sync.Mutex
	sent    map[string]int
	onFirst func()
}

func (c *countingSender) Send(_ context.Context, m auth.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[m.To]++
	if f := c.onFirst; f != nil {
		c.onFirst = nil
		f()
	}
	return nil
}

func (c *countingSender) count(to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[to]
}

// TestMailAcceptedButNotMarkedIsNotResent: the SMTP server accepts a message, then the
// database refuses the "sent" mark: the mark is retried until it is recorded, and the
// message is never sent again, even after its lease would have expired.
func TestMailAcceptedButNotMarkedIsNotResent(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to make the database read-only with chattr +i; run as root (CI does)")
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skip("skipped: needs chattr (e2fsprogs)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.db")
	immutable := func(flag string) {
		for _, f := range []string{path, path + "-wal", dir} {
			if _, err := os.Stat(f); err == nil {
				_ = exec.Command(chattr, flag, f).Run()
			}
		}
	}
	t.Cleanup(func() { immutable("-i") })
	frozen := make(chan struct{})
	sender := &countingSender{sent: map[string]int{}, onFirst: func() { immutable("+i"); close(frozen) }}
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path), apitest.WithConfig(func(c *auth.Config) { c.MailSender = sender }))
	a := e.Register("marked")
	<-frozen
	e.AwaitMail("the failed mark to be logged", func() bool {
		for _, r := range e.Logs.Records() {
			if r.Message == "outbox: marking mail sent failed; will retry the mark, not the send" {
				return true
			}
		}
		return false
	})
	immutable("-i")
	e.AwaitMail("the mark to be recorded", func() bool {
		n, err := e.DB.Mail.Query().Where(mail.To(a.Email), mail.StatusEQ(mail.StatusSent)).Count(context.Background())
		return err == nil && n == 1
	})
	e.Clock.Advance(10 * time.Minute) // past the lease
	b := e.Register("second")
	e.AwaitMail("the next mail", func() bool { return sender.count(b.Email) == 1 })
	if r := e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != 200 {
		t.Fatalf("readyz: %d", r.Status)
	}
	if n := sender.count(a.Email); n != 1 {
		t.Fatalf("the accepted message was sent %d times", n)
	}
}
