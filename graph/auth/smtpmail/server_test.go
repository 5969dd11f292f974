package smtpmail_test

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"authbff/rest/apitest"
)

// fault is what the test server does with a message after DATA.
type fault int

const (
	accept    fault = iota
	refuse4xx       // 451 4.3.0: try again later
	refuse5xx       // 554 5.7.1: rejected
	dropConn        // the connection closes before the reply
	stall           // no reply until the server closes
)

// received is one message the test server got after DATA, parsed.
type received struct {
	Fault     fault
	From      string   // envelope
	To        []string // envelope
	TLS       bool
	AuthUser  string
	Header    mail.Header
	Subject   string // decoded
	MessageID string
	MediaType string // of the whole message
	Text      string // decoded text/plain part
	HTML      string // decoded text/html part
	ParseErr  error
}

// testServer is a real SMTP server (emersion/go-smtp) in the test process, listening
// on loopback. It records every message and can be told to refuse or drop the next
// ones.
type testServer struct {
	Addr string

	srv    *smtp.Server
	closed chan struct{}
	user   string
	pass   string
	mechs  []string

	mu        sync.Mutex
	attempts  []*received // every DATA, whatever its fate
	faults    []fault
	authTries int
}

type serverConfig struct {
	addr        string
	startTLS    *tls.Config
	implicitTLS *tls.Config
	user, pass  string
	mechs       []string
}

type serverOption func(*serverConfig)

// onAddr listens on addr instead of 127.0.0.1:0.
func onAddr(addr string) serverOption { return func(c *serverConfig) { c.addr = addr } }

// withSTARTTLS offers STARTTLS with cfg.
func withSTARTTLS(cfg *tls.Config) serverOption { return func(c *serverConfig) { c.startTLS = cfg } }

// withImplicitTLS speaks TLS from the first byte (smtps).
func withImplicitTLS(cfg *tls.Config) serverOption {
	return func(c *serverConfig) { c.implicitTLS = cfg }
}

// withAuth requires AUTH with user and pass before MAIL, offering mechs (PLAIN by default).
func withAuth(user, pass string, mechs ...string) serverOption {
	return func(c *serverConfig) {
		c.user, c.pass, c.mechs = user, pass, mechs
		if len(mechs) == 0 {
			c.mechs = []string{sasl.Plain}
		}
	}
}

func startServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	cfg := serverConfig{addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		t.Fatalf("SMTP test server: %v", err)
	}
	s := &testServer{Addr: ln.Addr().String(), closed: make(chan struct{}), user: cfg.user, pass: cfg.pass, mechs: cfg.mechs}
	if cfg.implicitTLS != nil {
		ln = tls.NewListener(ln, cfg.implicitTLS)
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = cfg.startTLS
	s.srv.AllowInsecureAuth = true // loopback only
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go s.srv.Serve(ln)
	t.Cleanup(func() {
		close(s.closed)
		s.srv.Close()
	})
	return s
}

// Fail makes the next n messages meet f instead of being accepted.
func (s *testServer) Fail(f fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Attempts returns every message that reached the end of DATA.
func (s *testServer) Attempts() []*received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*received(nil), s.attempts...)
}

// Accepted returns the messages the server accepted (250 after DATA).
func (s *testServer) Accepted() []*received {
	var out []*received
	for _, m := range s.Attempts() {
		if m.Fault == accept {
			out = append(out, m)
		}
	}
	return out
}

// AuthTries counts AUTH commands the server got.
func (s *testServer) AuthTries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTries
}

// WaitAccepted runs e's outbox passes until match holds for n accepted messages and
// returns them.
func (s *testServer) WaitAccepted(t testing.TB, e *apitest.Env, n int, match func(*received) bool) []*received {
	t.Helper()
	var got []*received
	waitUntil(t, e, func() bool {
		got = got[:0]
		for _, m := range s.Accepted() {
			if match(m) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	}, func() string {
		return "accepted messages: " + describe(s.Accepted())
	})
	return got
}

func describe(ms []*received) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("\n  to=" + strings.Join(m.To, ",") + " subject=" + m.Subject + " id=" + m.MessageID)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// waitUntil runs e's outbox passes (apitest.AwaitMail: a kick, then the end of the
// pass, no sleeping) until cond holds; on failure it reports state.
func waitUntil(t testing.TB, e *apitest.Env, cond func() bool, state func() string) {
	t.Helper()
	if !apitest.MailPasses(t, e.Svc, cond) {
		t.Fatalf("condition not met after the outbox's passes; %s", state())
	}
}

type session struct {
	s        *testServer
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (ss *session) AuthMechanisms() []string { return ss.s.mechs }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.authTries++
	ss.s.mu.Unlock()
	check := func(user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return smtp.ErrAuthFailed
		}
		ss.authUser = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	f := accept
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	m := parseMessage(raw)
	m.Fault, m.From, m.To, m.AuthUser = f, ss.from, ss.to, ss.authUser
	_, m.TLS = ss.conn.TLSConnectionState()
	s.attempts = append(s.attempts, m)
	s.mu.Unlock()
	switch f {
	case refuse4xx:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case refuse5xx:
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Rejected"}
	case dropConn:
		ss.conn.Conn().Close()
		return errors.New("connection dropped")
	case stall:
		<-s.closed
		return errors.New("server closed")
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer ships.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

// parseMessage decodes a message as a mail client would: headers, RFC 2047 subject,
// MIME parts with their transfer encodings.
func parseMessage(raw []byte) *received {
	m := &received{}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseErr = err
		return m
	}
	m.Header = msg.Header
	m.Subject, m.ParseErr = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	m.MessageID = msg.Header.Get("Message-Id")
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		m.ParseErr = err
		return m
	}
	m.MediaType = mt
	if err := walkParts(m, mt, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		m.ParseErr = err
	}
	return m
}

func walkParts(m *received, mt string, params map[string]string, cte string, body io.Reader) error {
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			pmt, pparams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if err != nil {
				return err
			}
			if err := walkParts(m, pmt, pparams, p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
