package smtpmail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/google/uuid"

	"authbff/graph/auth"
	"authbff/graph/auth/smtpmail"
	"authbff/rest/apitest"
)

// password is a URL password with characters that need percent-encoding; its pieces
// must never show in an error.
const password = "Zq9x/W@7k:Pv%"

var passwordPieces = []string{password, "Zq9x", "7k:Pv", url.QueryEscape(password), url.PathEscape(password)}

func credURL(scheme, host string) string {
	return scheme + "://" + url.UserPassword("mailer", password).String() + "@" + host
}

func newSender(t testing.TB, rawURL string, opts smtpmail.Options) *smtpmail.Sender {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Second
	}
	s, err := smtpmail.New(rawURL, opts)
	if err != nil {
		t.Fatalf("smtpmail.New: %v", err)
	}
	return s
}

// link is long enough that quoted-printable wraps it, and holds '=' so that it must be
// encoded: the receiver must still read it whole.
const link = "https://app.example/verify-email?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz=="

func testMessage() auth.Message {
	return auth.Message{
		ID:      uuid.New(),
		Kind:    auth.MailVerify,
		From:    "Acme Accounts <no-reply@acme.example>",
		To:      "ana@example.com",
		Subject: "Vérifiez your e-mail address",
		Text:    "Hello ana,\n\nPlease confirm your address:\n\n" + link + "\n",
		HTML:    `<p>Hello ana,</p><p><a href="` + link + `">Verify my e-mail address</a></p>`,
	}
}

func send(t testing.TB, s *smtpmail.Sender, m auth.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

func assertNoPassword(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, p := range passwordPieces {
		if strings.Contains(err.Error(), p) {
			t.Fatalf("error shows the password (%q): %v", p, err)
		}
	}
}

func TestSendDelivers(t *testing.T) {
	t.Parallel()
	cert, roots := apitest.TestCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	cases := []struct {
		name     string
		server   []serverOption
		url      func(addr string) string
		opts     smtpmail.Options
		dialVia  bool // the URL names mail.example, the connection goes to the server
		wantTLS  bool
		wantUser string
	}{
		{name: "OK_Plain", url: func(a string) string { return "smtp://" + a }},
		{name: "OK_AuthPlainFromURLOnLoopback", server: []serverOption{withAuth("mailer", password)},
			url: func(a string) string { return credURL("smtp", a) }, wantUser: "mailer"},
		{name: "OK_AuthLoginWhenPlainNotOffered", server: []serverOption{withAuth("mailer", password, sasl.Login)},
			url: func(a string) string { return credURL("smtp", a) }, wantUser: "mailer"},
		{name: "OK_STARTTLSWhenOffered", server: []serverOption{withSTARTTLS(serverTLS), withAuth("mailer", password)},
			url: func(a string) string { return credURL("smtp", a) }, opts: smtpmail.Options{TLSConfig: &tls.Config{RootCAs: roots}},
			wantTLS: true, wantUser: "mailer"},
		{name: "OK_AuthToRemoteHostAfterSTARTTLS", server: []serverOption{withSTARTTLS(serverTLS), withAuth("mailer", password)},
			url: func(string) string { return credURL("smtp", "mail.example:2525") }, dialVia: true,
			opts: smtpmail.Options{TLSConfig: &tls.Config{RootCAs: roots}}, wantTLS: true, wantUser: "mailer"},
		{name: "OK_ImplicitTLS", server: []serverOption{withImplicitTLS(serverTLS), withAuth("mailer", password)},
			url: func(a string) string { return credURL("smtps", a) }, opts: smtpmail.Options{TLSConfig: &tls.Config{RootCAs: roots}},
			wantTLS: true, wantUser: "mailer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.server...)
			s := newSender(t, tc.url(srv.Addr), tc.opts)
			if tc.dialVia {
				smtpmail.DialVia(s, srv.Addr)
			}
			m := testMessage()
			if err := send(t, s, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Accepted()
			if len(got) != 1 {
				t.Fatalf("server accepted %d messages, want 1", len(got))
			}
			r := got[0]
			if r.ParseErr != nil {
				t.Fatalf("message does not parse: %v", r.ParseErr)
			}
			if r.From != "no-reply@acme.example" || len(r.To) != 1 || r.To[0] != "ana@example.com" {
				t.Errorf("envelope from=%q to=%q", r.From, r.To)
			}
			if h := r.Header.Get("From"); !strings.Contains(h, "<no-reply@acme.example>") || !strings.Contains(h, "Acme Accounts") {
				t.Errorf("From: %q", h)
			}
			if h := r.Header.Get("To"); !strings.Contains(h, "ana@example.com") {
				t.Errorf("To: %q", h)
			}
			if r.Subject != m.Subject {
				t.Errorf("Subject = %q, want %q", r.Subject, m.Subject)
			}
			if want := "<" + m.ID.String() + "@acme.example>"; r.MessageID != want {
				t.Errorf("Message-ID = %q, want %q", r.MessageID, want)
			}
			if r.Header.Get("Date") == "" {
				t.Error("no Date header")
			}
			if r.MediaType != "multipart/alternative" {
				t.Errorf("Content-Type = %q, want multipart/alternative", r.MediaType)
			}
			if !strings.Contains(r.Text, link) {
				t.Errorf("text part lacks the link:\n%s", r.Text)
			}
			if !strings.Contains(r.HTML, `href="`+link+`"`) {
				t.Errorf("HTML part lacks the link:\n%s", r.HTML)
			}
			if r.TLS != tc.wantTLS {
				t.Errorf("TLS = %v, want %v", r.TLS, tc.wantTLS)
			}
			if r.AuthUser != tc.wantUser {
				t.Errorf("authenticated as %q, want %q", r.AuthUser, tc.wantUser)
			}
		})
	}
}

func TestSendFails(t *testing.T) {
	t.Parallel()
	cert, roots := apitest.TestCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	cases := []struct {
		name      string
		server    []serverOption
		fault     fault
		url       func(addr string) string
		opts      smtpmail.Options
		dialVia   bool // the URL names mail.example, the connection goes to the server
		wantInErr string
		noAuth    bool // the server must not have seen AUTH
	}{
		{name: "ErrRefused5xxAfterData", server: []serverOption{withAuth("mailer", password)}, fault: refuse5xx, wantInErr: "554"},
		{name: "ErrRefused4xxAfterData", server: []serverOption{withAuth("mailer", password)}, fault: refuse4xx, wantInErr: "451"},
		{name: "ErrConnectionDroppedAfterData", server: []serverOption{withAuth("mailer", password)}, fault: dropConn},
		{name: "ErrCredentialsButServerOffersNoAuth", wantInErr: "no AUTH"},
		{name: "ErrWrongPassword", server: []serverOption{withAuth("mailer", "another password")}, wantInErr: "535"},
		{name: "ErrNoCredentialsInClearToRemoteHost", server: []serverOption{withAuth("mailer", password)},
			url: func(string) string { return credURL("smtp", "mail.example:2525") }, dialVia: true,
			wantInErr: "unencrypted", noAuth: true},
		{name: "ErrNoFallbackWhenSTARTTLSFails", server: []serverOption{withSTARTTLS(serverTLS), withAuth("mailer", password)},
			wantInErr: "certificate", noAuth: true}, // the certificate is not trusted: no downgrade
		{name: "ErrImplicitTLSUntrustedCertificate", server: []serverOption{withImplicitTLS(serverTLS), withAuth("mailer", password)},
			url: func(a string) string { return credURL("smtps", a) }, wantInErr: "certificate", noAuth: true},
		{name: "ErrCertificateForAnotherHost", server: []serverOption{withSTARTTLS(serverTLS), withAuth("mailer", password)},
			url: func(string) string { return credURL("smtp", "other.example:2525") }, dialVia: true,
			opts: smtpmail.Options{TLSConfig: &tls.Config{RootCAs: roots}}, wantInErr: "certificate", noAuth: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.server...)
			if tc.fault != accept {
				srv.Fail(tc.fault, 1)
			}
			rawURL := credURL("smtp", srv.Addr)
			if tc.url != nil {
				rawURL = tc.url(srv.Addr)
			}
			s := newSender(t, rawURL, tc.opts)
			if tc.dialVia {
				smtpmail.DialVia(s, srv.Addr)
			}
			err := send(t, s, testMessage())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			t.Log(err)
			assertNoPassword(t, err)
			var perm auth.PermanentFailure
			isPerm := errors.As(err, &perm) && perm.Permanent()
			if want := tc.fault == refuse5xx; isPerm != want {
				t.Errorf("permanent = %v, want %v (only a 5xx refusal is permanent)", isPerm, want)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantInErr)
			}
			if n := len(srv.Accepted()); n != 0 {
				t.Errorf("server accepted %d messages, want 0", n)
			}
			if tc.noAuth && srv.AuthTries() != 0 {
				t.Errorf("the server got %d AUTH commands, want none", srv.AuthTries())
			}
		})
	}

	t.Run("ErrNobodyListening", func(t *testing.T) {
		t.Parallel()
		s := newSender(t, credURL("smtp", freeAddr(t)), smtpmail.Options{})
		err := send(t, s, testMessage())
		if err == nil {
			t.Fatal("Send succeeded, want an error")
		}
		assertNoPassword(t, err)
	})

	t.Run("ErrContextEndsWhileServerStalls", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		srv.Fail(stall, 1)
		s := newSender(t, "smtp://"+srv.Addr, smtpmail.Options{Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Send(ctx, testMessage()) }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %q does not say the context ended", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Send ignored its context")
		}
	})

	t.Run("ErrTimeoutWhenServerNeverGreets", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		s := newSender(t, "smtp://"+ln.Addr().String(), smtpmail.Options{Timeout: 300 * time.Millisecond})
		if err := send(t, s, testMessage()); err == nil {
			t.Fatal("Send succeeded, want an error")
		}
	})
}

func TestSendRetryKeepsMessageID(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	srv.Fail(refuse4xx, 1)
	s := newSender(t, "smtp://"+srv.Addr, smtpmail.Options{})
	m := testMessage()
	if err := send(t, s, m); err == nil {
		t.Fatal("first attempt succeeded, want the 451")
	}
	if err := send(t, s, m); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	at := srv.Attempts()
	if len(at) != 2 || at[0].MessageID == "" || at[0].MessageID != at[1].MessageID {
		t.Fatalf("attempts: %s", describe(at))
	}
	if want := "<" + smtpmail.MessageID(m) + ">"; at[1].MessageID != want {
		t.Errorf("Message-ID = %q, want %q", at[1].MessageID, want)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name, url, want string
	}{
		{"ErrUnsupportedScheme", "http://mailer:" + url.QueryEscape(password) + "@mail.example", "scheme"},
		{"ErrNoScheme", "//mailer:" + url.QueryEscape(password) + "@mail.example:587", "no scheme"},
		{"ErrHostInsteadOfScheme", "mail.example:587", "scheme"},
		{"ErrNoHost", "smtp://mailer:" + url.QueryEscape(password) + "@", "no host"},
		{"ErrNoHostOpaque", "smtp:mailer", "no host"},
		{"ErrPortOutOfRange", "smtp://mailer:" + url.QueryEscape(password) + "@mail.example:99999", "port"},
		{"ErrNoUserName", "smtp://:" + url.QueryEscape(password) + "@mail.example", "user name"},
		// Unescaped special characters: the password leaks into the path or the port.
		{"ErrUnescapedSlashInPassword", "smtp://mailer:Zq9x/W7k:Pv@mail.example", "percent-encode"},
		{"ErrUnescapedColonInHostPart", "smtp://mailer:Zq9x/7k:Pv", "percent-encode"},
		{"ErrUnescapedQuestionMark", "smtp://mailer:Zq9x?7k:Pv@mail.example", "percent-encode"},
		{"ErrControlCharacter", "smtp://mailer:Zq9x\x017k:Pv@mail.example", "percent-encode"},
		{"ErrEmpty", "", "scheme"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := smtpmail.New(tc.url, smtpmail.Options{})
			if err == nil {
				t.Fatalf("New(%q) = %v, want an error", tc.url, s.Addr())
			}
			t.Log(err)
			assertNoPassword(t, err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	good := []struct {
		name, url, addr string
	}{
		{"OK_SubmissionPortByDefault", "smtp://mail.example", "mail.example:587"},
		{"OK_ImplicitTLSPortByDefault", "smtps://mailer:x@mail.example", "mail.example:465"},
		{"OK_ExplicitPort", "SMTP://mailer:" + url.QueryEscape(password) + "@mail.example:2525/", "mail.example:2525"},
		{"OK_IPv6", "smtp://[::1]:25", "[::1]:25"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := smtpmail.New(tc.url, smtpmail.Options{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if s.Addr() != tc.addr {
				t.Errorf("Addr = %q, want %q", s.Addr(), tc.addr)
			}
		})
	}
}

// freeAddr returns a loopback address where nothing listens (yet).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
