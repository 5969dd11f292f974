package apitest

import (
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"authbff/graph/auth"
	"authbff/graph/auth/smtpmail"
)

// SMTPSink is a real SMTP server (emersion/go-smtp) on loopback that accepts every
// message, for tests that follow mail through the real SMTP sender.
type SMTPSink struct {
	Addr    string
	mu      sync.Mutex
	msgs    []SMTPMessage
	changed chan struct{} // closed and replaced on each message
}

// SMTPMessage is one accepted message, decoded.
type SMTPMessage struct {
	To      []string
	Subject string
	Text    string // the text/plain part, transfer encoding undone
}

// StartSMTP starts a sink, stopped when t ends.
func StartSMTP(t testing.TB) *SMTPSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("SMTP sink: %v", err)
	}
	s := &SMTPSink{Addr: ln.Addr().String(), changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// WithSMTP delivers the service's mail to sink through the production SMTP sender.
func WithSMTP(t testing.TB, sink *SMTPSink) Option {
	sender, err := smtpmail.New("smtp://"+sink.Addr, smtpmail.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("SMTP sender: %v", err)
	}
	return WithConfig(func(c *auth.Config) { c.MailSender = sender })
}

// Wait returns the n-th (1-based) message to address to, waiting up to 20 s for it.
func (s *SMTPSink) Wait(t testing.TB, to string, n int) SMTPMessage {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		var got []SMTPMessage
		for _, m := range s.msgs {
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					got = append(got, m)
				}
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got[n-1]
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("no message #%d to %s over SMTP; have %d", n, to, len(got))
		}
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link returns the first link of the message whose path is path.
func (m SMTPMessage) Link(path string) string {
	for _, l := range linkRE.FindAllString(m.Text, -1) {
		if strings.Contains(l, path+"?") {
			return l
		}
	}
	return ""
}

type sinkSession struct {
	s  *SMTPSink
	to []string
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := SMTPMessage{To: ss.to}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		m.Text = plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	s := ss.s
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// plainText finds the text/plain part of a (possibly multipart) body and decodes it.
func plainText(ctype, cte string, body io.Reader) string {
	mt, params, _ := mime.ParseMediaType(ctype)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if t := plainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); t != "" {
				return t
			}
		}
	}
	if mt != "text/plain" && mt != "" {
		return ""
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}
