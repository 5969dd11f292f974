package auth

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/mail"
)

// Mail kinds; each has templates/<kind>.subject.txt, .txt and .html.
const (
	MailVerify          = "verify_email"
	MailReset           = "reset_password"
	MailInvite          = "invite"
	MailPasswordChanged = "password_changed"
	MailLocked          = "account_locked"
)

// Message is one e-mail ready to send.
type Message struct {
	ID      uuid.UUID
	Kind    string
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers a message. An error means the server did not accept it; the outbox
// retries later with backoff.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PermanentFailure is implemented by Sender errors that no retry will cure (an SMTP 5xx
// such as an unknown mailbox): the outbox gives such a message up after
// MailPermanentRetries attempts instead of retrying it for a day.
type PermanentFailure interface{ Permanent() bool }

// MailPermanentRetries is how many permanent refusals mark a message failed.
const MailPermanentRetries = 3

func isPermanent(err error) bool {
	var p PermanentFailure
	return errors.As(err, &p) && p.Permanent()
}

// LogSender writes each message, link included, to the log. It is for development only
// (the one deliberate exception to "no token in a log line"); cmd/authbff says so at start.
type LogSender struct{ Log *slog.Logger }

// Send logs the message, with its link (if any) on its own as link=… so that a newcomer
// can open it straight from the log.
func (l LogSender) Send(_ context.Context, m Message) error {
	args := []any{"kind", m.Kind, "to", m.To, "subject", m.Subject}
	if link := logLinkRE.FindString(m.Text); link != "" {
		args = append(args, "link", link)
	}
	l.Log.Info("mail (log mailer, development only)", append(args, "text", m.Text)...)
	return nil
}

var logLinkRE = regexp.MustCompile(`https?://\S+`)

//go:embed templates
var templateFS embed.FS

// mailData is what the templates see.
type mailData struct {
	Username string
	Link     string
	OrgName  string
	Role     string
}

type mailTemplates struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// parseTemplates reads the mail templates: each file from override when it has it
// (AUTH_MAIL_TEMPLATES_DIR), else the one embedded in the binary. A template that does
// not parse stops the server at start, not at the first mail.
func parseTemplates(override fs.FS) (map[string]mailTemplates, error) {
	embedded, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	pick := func(name string) fs.FS {
		if override != nil {
			if _, err := fs.Stat(override, name); err == nil {
				return override
			}
		}
		return embedded
	}
	out := map[string]mailTemplates{}
	for _, kind := range []string{MailVerify, MailReset, MailInvite, MailPasswordChanged, MailLocked} {
		var t mailTemplates
		var err error
		name := kind + ".subject.txt"
		if t.subject, err = texttemplate.ParseFS(pick(name), name); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		name = kind + ".txt"
		if t.text, err = texttemplate.ParseFS(pick(name), name); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		name = kind + ".html"
		if t.html, err = htmltemplate.ParseFS(pick(name), name); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		out[kind] = t
	}
	return out, nil
}

// enqueueMail renders a message and writes it to the outbox in tx, so that it is sent
// if and only if the transaction that issued its token commits.
func (s *Service) enqueueMail(ctx context.Context, tx *ent.Tx, kind, to string, data mailData, now time.Time) error {
	t := s.templates[kind]
	var subj, text, html bytes.Buffer
	if err := t.subject.Execute(&subj, data); err != nil {
		return err
	}
	if err := t.text.Execute(&text, data); err != nil {
		return err
	}
	if err := t.html.Execute(&html, data); err != nil {
		return err
	}
	id := uuid.New()
	// The bodies carry live links: sealed until sent (AUTH_SECRET_KEY), dropped after.
	tb, err := s.seal.seal(text.String(), mailAD(id, "text"))
	if err != nil {
		return err
	}
	hb, err := s.seal.seal(html.String(), mailAD(id, "html"))
	if err != nil {
		return err
	}
	return tx.Mail.Create().SetID(id).SetKind(kind).SetTo(to).
		SetSubject(strings.TrimSpace(subj.String())).SetTextBody(tb).SetHTMLBody(hb).
		SetNextAttemptAt(now).SetCreatedAt(now).Exec(ctx)
}

// mailSafe is a user-chosen name as mail shows it: control, format and line-separator
// characters (which names made before the current rule may hold) become U+FFFD, so a
// name cannot add lines or headers nor reorder the text around it. Templates put it in
// quotes; the HTML template escapes it as well.
func mailSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return '\uFFFD'
		}
		return r
	}, name)
}

// wakeMailer tells the outbox worker that new mail is waiting.
func (s *Service) wakeMailer() {
	select {
	case s.mailWake <- struct{}{}:
	default:
	}
}

// KickMailer asks the outbox worker for a pass now instead of at its next poll: after
// the service clock moved (a retry became due), or when a caller wants the outbox
// settled. It never blocks.
func (s *Service) KickMailer() { s.wakeMailer() }

// MailerPassed returns a channel closed when the outbox worker next finishes a pass.
// Together with KickMailer it lets a caller (tests, an operator command) wait for the
// outbox to settle on a signal rather than by polling or sleeping.
func (s *Service) MailerPassed() <-chan struct{} { return s.mailPassed.next() }

// passSignal broadcasts the end of each outbox pass to any number of waiters. Its zero
// value is ready to use.
type passSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

// next returns a channel closed at the end of the next pass.
func (p *passSignal) next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		p.ch = make(chan struct{})
	}
	return p.ch
}

// done ends a pass, releasing its waiters.
func (p *passSignal) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch != nil {
		close(p.ch)
		p.ch = nil
	}
}

// Outbox timing.
const (
	mailPoll       = 2 * time.Second
	mailLease      = 2 * time.Minute // a claimed message is retried if not settled by then
	mailBackoffMax = 30 * time.Second
	mailBatch      = 20
	mailSendLimit  = 30 * time.Second
)

// RunMailer delivers the outbox until ctx ends: due messages are claimed (a conditional
// update, so replicas never send one twice), sent, and marked sent with their bodies
// dropped; a refused message is retried with exponential backoff and marked failed after
// MailRetries attempts. It resumes the backlog left by an earlier run.
func (s *Service) RunMailer(ctx context.Context) {
	sender := s.cfg.MailSender
	if sender == nil {
		sender = LogSender{Log: s.cfg.Log}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.mailWake:
		case <-t.C:
		}
		s.markPending(ctx)
		for s.deliverDue(ctx, sender) == mailBatch && ctx.Err() == nil {
		}
		s.measureOutbox(ctx)
		s.mailPassed.done()
		t.Reset(mailPoll)
	}
}

// deliverDue sends up to one batch of due messages and returns how many it claimed.
func (s *Service) deliverDue(ctx context.Context, sender Sender) int {
	now := s.now()
	due, err := s.db.Mail.Query().
		Where(mail.Or(
			mail.And(mail.StatusEQ(mail.StatusPending), mail.NextAttemptAtLTE(now)),
			mail.And(mail.StatusEQ(mail.StatusSending), mail.NextAttemptAtLTE(now)), // lease expired
		)).
		Order(ent.Asc(mail.FieldNextAttemptAt)).Limit(mailBatch).All(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("outbox: listing due mail", "err", err)
		}
		return 0
	}
	for _, m := range due {
		n, err := s.db.Mail.Update().Where(mail.ID(m.ID), mail.StatusEQ(m.Status), mail.NextAttemptAtEQ(m.NextAttemptAt)).
			SetStatus(mail.StatusSending).SetNextAttemptAt(now.Add(mailLease)).Save(ctx)
		if err != nil || n != 1 {
			continue
		}
		if strings.HasPrefix(m.Kind, "request:") {
			if err := s.expandRequest(ctx, m); err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Error("outbox: expanding a mail request", "id", m.ID, "kind", m.Kind, "err", err)
				}
			} else {
				s.wakeMailer() // the mail it queued is due now
			}
			continue
		}
		if !s.deliver(ctx, sender, m) {
			// The server is down or refusing: leave the rest of the batch for the next
			// poll instead of waiting out a timeout per message.
			return 0
		}
	}
	return len(due)
}

// deliver sends one claimed message and records the outcome; it reports success.
func (s *Service) deliver(ctx context.Context, sender Sender, m *ent.Mail) bool {
	text, _, err := s.seal.open(m.TextBody, mailAD(m.ID, "text"))
	var html string
	if err == nil {
		html, _, err = s.seal.open(m.HTMLBody, mailAD(m.ID, "html"))
	}
	if err != nil {
		// Sealed under a key this process does not hold: no retry will cure it.
		s.cfg.Log.Error("outbox: cannot decrypt mail", "id", m.ID, "kind", m.Kind, "err", err)
		if uerr := s.db.Mail.UpdateOneID(m.ID).SetStatus(mail.StatusFailed).SetTextBody("").SetHTMLBody("").
			SetAttempts(m.Attempts + 1).SetLastError("cannot decrypt (AUTH_SECRET_KEY)").Exec(context.WithoutCancel(ctx)); uerr != nil {
			s.cfg.Log.Error("outbox: recording failed attempt", "id", m.ID, "err", uerr)
		}
		return true
	}
	sctx, cancel := context.WithTimeout(ctx, mailSendLimit)
	err = sender.Send(sctx, Message{ID: m.ID, Kind: m.Kind, From: s.cfg.MailFrom, To: m.To, Subject: m.Subject,
		Text: text, HTML: html})
	cancel()
	// Settle with a context that outlives shutdown: an accepted message must be marked
	// sent, or it would be sent again.
	sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.now()
	attempts := m.Attempts + 1
	if err == nil {
		s.cfg.Metrics.MailSend("sent")
		if uerr := s.markSent(sctx, m.ID, now, attempts); uerr != nil {
			// The server accepted the message: it must not be sent again. Remember it and
			// mark it at the next poll, before anything is claimed (markPending).
			s.cfg.Log.Error("outbox: marking mail sent failed; will retry the mark, not the send", "id", m.ID, "err", uerr)
			s.unmarkedMu.Lock()
			s.unmarked[m.ID] = sentMark{at: now, attempts: attempts}
			s.unmarkedMu.Unlock()
		}
		return true
	}
	upd := s.db.Mail.UpdateOneID(m.ID).SetAttempts(attempts).SetLastError(truncate(err.Error(), 500))
	if (attempts >= s.cfg.MailRetries && now.Sub(m.CreatedAt) >= s.cfg.MailMaxAge) ||
		(isPermanent(err) && attempts >= MailPermanentRetries) {
		upd.SetStatus(mail.StatusFailed).SetTextBody("").SetHTMLBody("")
		s.cfg.Metrics.MailSend("failed")
		s.cfg.Log.Error("outbox: giving up on mail", "id", m.ID, "kind", m.Kind, "attempts", attempts, "err", err)
	} else {
		upd.SetStatus(mail.StatusPending).SetNextAttemptAt(now.Add(backoff(attempts)))
		s.cfg.Metrics.MailSend("retry")
		s.cfg.Log.Warn("outbox: mail not accepted, will retry", "id", m.ID, "kind", m.Kind, "attempt", attempts, "err", err)
	}
	if uerr := upd.Exec(sctx); uerr != nil {
		s.cfg.Log.Error("outbox: recording failed attempt", "id", m.ID, "err", uerr)
	}
	return false
}

// backoff is 1s, 2s, 4s… capped at mailBackoffMax, with ±20% jitter so that replicas
// and messages spread out.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 10)
	if d > mailBackoffMax {
		d = mailBackoffMax
	}
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

// sentMark is an accepted message whose "sent" mark has not been recorded yet.
type sentMark struct {
	at       time.Time
	attempts int
}

func (s *Service) markSent(ctx context.Context, id uuid.UUID, now time.Time, attempts int) error {
	return s.db.Mail.UpdateOneID(id).SetStatus(mail.StatusSent).SetSentAt(now).SetAttempts(attempts).
		SetTextBody("").SetHTMLBody("").SetLastError("").Exec(ctx)
}

// markPending records the "sent" marks that failed earlier (the database was down when
// the SMTP server accepted the message). Until one is recorded its row stays claimed
// ("sending"), and this process retries the mark, never the send; the lease extension
// keeps other replicas from claiming it meanwhile. Only a process that dies holding an
// unrecorded mark lets the message be sent again once its lease expires: delivery is
// at-least-once in that case alone.
func (s *Service) markPending(ctx context.Context) {
	s.unmarkedMu.Lock()
	defer s.unmarkedMu.Unlock()
	for id, m := range s.unmarked {
		if err := s.markSent(ctx, id, m.at, m.attempts); err != nil {
			// Keep the lease while we cannot mark it.
			_ = s.db.Mail.UpdateOneID(id).SetNextAttemptAt(s.now().Add(mailLease)).Exec(ctx)
			return
		}
		delete(s.unmarked, id)
	}
}

// measureOutbox sets the outbox backlog metrics.
func (s *Service) measureOutbox(ctx context.Context) {
	if s.cfg.Metrics == nil {
		return
	}
	waiting := mail.StatusIn(mail.StatusPending, mail.StatusSending)
	n, err := s.db.Mail.Query().Where(waiting).Count(ctx)
	if err != nil {
		return
	}
	var age time.Duration
	if n > 0 {
		oldest, err := s.db.Mail.Query().Where(waiting).Order(ent.Asc(mail.FieldCreatedAt)).First(ctx)
		if err == nil {
			age = max(s.now().Sub(oldest.CreatedAt), 0)
		}
	}
	s.cfg.Metrics.Outbox(n, age)
}
