// Package smtpmail delivers the outbox's messages (auth.Message) over SMTP.
//
// It is built on github.com/wneessen/go-mail rather than on hand-written SMTP: go-mail
// is actively maintained and gets the parts that are easy to get subtly wrong right —
// MIME multipart/alternative structure, header and body encodings (quoted-printable,
// RFC 2047 words for non-ASCII subjects and names), dot-stuffing, STARTTLS and implicit
// TLS, SASL AUTH. This package only adds the policy: how AUTH_SMTP_URL maps to a
// connection, when credentials may be sent, timeouts, and errors that never show the
// password.
//
// TLS and AUTH policy:
//
//   - smtps://host[:465] dials TLS directly (implicit TLS, RFC 8314).
//   - smtp://host[:587] upgrades with STARTTLS whenever the server offers it
//     (opportunistic). A STARTTLS that fails (bad certificate, handshake error) fails
//     the attempt; it never falls back to clear text.
//   - Certificates are verified against the system roots for the URL's host, TLS 1.2
//     at least, unless Options.TLSConfig says otherwise.
//   - AUTH happens only when the URL has user info, with PLAIN when the server offers
//     it, else LOGIN (the two mechanisms every submission server speaks; both need the
//     encrypted channel). Credentials are never sent over an unencrypted connection,
//     except to a loopback host (localhost, 127.0.0.0/8, ::1), where a local relay
//     without TLS is common and nothing crosses a network: to any other host without
//     STARTTLS the attempt fails before AUTH, so an attacker who strips STARTTLS from
//     the greeting gets no password.
//   - Without user info no AUTH is attempted (a relay that trusts the network).
package smtpmail

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"authbff/graph/auth"
)

// DefaultTimeout bounds the dial and the SMTP conversation of one message.
const DefaultTimeout = 10 * time.Second

// Default ports: submission with STARTTLS (RFC 6409) and submissions (RFC 8314).
const (
	DefaultPort    = 587
	DefaultTLSPort = 465
)

// Options tune a Sender; the zero value is production's.
type Options struct {
	// Timeout bounds the dial and the SMTP conversation of one message (go-mail sets
	// it as the connection deadline). Zero: DefaultTimeout.
	Timeout time.Duration
	// TLSConfig is used for STARTTLS and implicit TLS (for example a test's or a
	// self-signed server's root CA). Nil: system roots, ServerName the URL's host,
	// TLS 1.2 at least. An empty ServerName is filled with the URL's host.
	TLSConfig *tls.Config
}

// Sender is an auth.Sender over SMTP. It opens one connection per message, so it is
// safe for concurrent use and holds nothing open between messages.
type Sender struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	hasAuth     bool
	timeout     time.Duration
	tlsConfig   *tls.Config
	dialAddr    string // where to connect; host:port except in tests
}

var _ auth.Sender = (*Sender)(nil)

// New parses rawURL (smtp://user:pass@host:port or smtps://…; user info optional and
// percent-encoded) and returns a Sender for it. It does not connect: the server may be
// down at start (CONTRACT.md §8). Its errors never contain the URL's password.
func New(rawURL string, opts Options) (*Sender, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		// url.Error quotes the URL, and its inner errors may quote pieces of a password
		// that holds an unescaped '/', '?', '#' or '@': say nothing taken from it.
		return nil, errors.New("invalid SMTP URL: it does not parse; want smtp://user:pass@host:port or smtps://…, " +
			"with special characters in the user name and password percent-encoded (/ as %2F, @ as %40, : as %3A)")
	}
	s := &Sender{timeout: opts.Timeout}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.port = DefaultPort
	case "smtps":
		s.port, s.implicitTLS = DefaultTLSPort, true
	case "":
		return nil, errors.New("invalid SMTP URL: no scheme; want smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (implicit TLS)")
	default:
		return nil, fmt.Errorf("invalid SMTP URL: scheme %q is not supported; use smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("invalid SMTP URL: no host; want " + u.Scheme + "://user:pass@host:port")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		// Often a password with an unescaped '/', '?' or '#': refuse rather than
		// authenticate with half of it.
		return nil, errors.New("invalid SMTP URL: it has a path, query or fragment; want " + u.Scheme +
			"://user:pass@host:port, with special characters in the password percent-encoded (/ as %2F, ? as %3F, # as %23)")
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid SMTP URL: port %q is out of range", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("invalid SMTP URL: the user info has no user name; want " + u.Scheme + "://user:pass@host:port")
		}
		s.hasAuth = true
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if opts.TLSConfig != nil {
		s.tlsConfig = opts.TLSConfig.Clone()
		if s.tlsConfig.ServerName == "" {
			s.tlsConfig.ServerName = s.host
		}
	} else {
		s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	s.dialAddr = net.JoinHostPort(s.host, strconv.Itoa(s.port))
	return s, nil
}

// Addr is the server's host:port, for the log (it never carries credentials).
func (s *Sender) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Send delivers m in one SMTP transaction. It returns nil only when the server accepted
// the message (250 after DATA); a refusal at any stage (4xx/5xx), a dropped connection,
// a timeout or ctx ending returns an error, and the outbox retries later. The
// Message-ID is derived from m.ID, so a retried message keeps its id.
func (s *Sender) Send(ctx context.Context, m auth.Message) error {
	msg, err := s.message(m)
	if err != nil {
		return s.wrap(err)
	}
	// go-mail bounds the conversation with connection deadlines but watches ctx only
	// while dialing; closing the connection when ctx ends makes shutdown and the
	// outbox's send limit effective mid-conversation too.
	stop := func() bool { return false }
	dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
		d := &net.Dialer{}
		var c net.Conn
		var err error
		if s.implicitTLS {
			c, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig}).DialContext(dctx, "tcp", s.dialAddr)
		} else {
			c, err = d.DialContext(dctx, "tcp", s.dialAddr)
		}
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { c.Close() })
		return c, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(dial),
		// One message per connection: no NOOP before it, no RSET after it.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.hasAuth {
		opts = append(opts, gomail.WithSMTPAuthCustom(&credentials{user: s.user, pass: s.pass, host: s.host,
			loopback: isLoopback(s.host)}))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return s.wrap(err)
	}
	err = c.DialAndSendWithContext(ctx, msg)
	stop()
	if msg.IsDelivered() {
		// The server answered 250 to the end of DATA: the message is accepted. A
		// failure after that (QUIT) must not make the outbox send it a second time.
		return nil
	}
	if err == nil {
		err = errors.New("message not accepted")
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
	}
	return s.wrap(err)
}

// message builds the MIME message: a text part and, when there is one, an HTML
// alternative.
func (s *Sender) message(m auth.Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m))
	msg.SetDate()
	// RFC 3834: machine-generated; vacation responders should not answer it.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// MessageID is the Message-ID of m without angle brackets: its outbox id at the
// sender's domain, the same on every attempt, so that a receiver can tell a retry from
// a new message.
func MessageID(m auth.Message) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(m.From); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return m.ID.String() + "@" + domain
}

// wrap names the server and removes the password from err's text, should a server or
// a library ever echo it. A permanent refusal (5xx) is marked so (auth.PermanentFailure).
func (s *Sender) wrap(err error) error {
	var se *gomail.SendError
	// Only the message itself can be refused for good (5xx to RCPT TO or DATA); a 5xx
	// to AUTH or MAIL FROM is a configuration problem the operator fixes, after which
	// the mail must still go out.
	permanent := errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 &&
		(se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose)
	text := fmt.Sprintf("smtp %s: %v", s.Addr(), err)
	var out error
	if red := s.redact(text); red != text {
		out = errors.New(red) // not wrapped: the cause's text holds the secret
	} else {
		out = fmt.Errorf("smtp %s: %w", s.Addr(), err)
	}
	if permanent {
		return permanentError{out}
	}
	return out
}

// permanentError is a refusal that no retry will cure.
type permanentError struct{ error }

func (e permanentError) Unwrap() error   { return e.error }
func (e permanentError) Permanent() bool { return true }

var _ auth.PermanentFailure = permanentError{}

func (s *Sender) redact(text string) string {
	if s.pass == "" {
		return text
	}
	for _, secret := range []string{s.pass, url.QueryEscape(s.pass), url.PathEscape(s.pass),
		base64.StdEncoding.EncodeToString([]byte(s.pass))} {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}

// errCleartextAuth refuses AUTH on an unencrypted connection to a remote host.
var errCleartextAuth = errors.New("refusing to send SMTP credentials over an unencrypted connection: " +
	"the server did not offer STARTTLS (use smtps:// or a server with STARTTLS)")

// credentials is the SASL client: PLAIN when offered, else LOGIN, and only over TLS or
// to a loopback host.
type credentials struct {
	user, pass, host string
	loopback         bool
	mech             gosmtp.Auth
}

func (a *credentials) Start(si *gosmtp.ServerInfo) (string, []byte, error) {
	if !si.TLS && !a.loopback {
		return "", nil, errCleartextAuth
	}
	// The transport check is ours (it knows 127.0.0.0/8 and ::1 in any spelling), so
	// the library's own is switched off with allowUnencrypted.
	switch {
	case slices.Contains(si.Auth, "PLAIN"):
		a.mech = gosmtp.PlainAuth("", a.user, a.pass, si.Name, true)
	case slices.Contains(si.Auth, "LOGIN"):
		a.mech = gosmtp.LoginAuth(a.user, a.pass, si.Name, true)
	case len(si.Auth) == 0:
		return "", nil, errors.New("the URL has credentials but the server offers no AUTH")
	default:
		return "", nil, fmt.Errorf("the server offers neither AUTH PLAIN nor LOGIN (it offers %s)", strings.Join(si.Auth, " "))
	}
	return a.mech.Start(si)
}

func (a *credentials) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.mech.Next(fromServer, more)
}

// isLoopback reports whether host names this machine without a network in between.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
