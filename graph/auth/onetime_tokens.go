package auth

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/mail"
	"authbff/ent/onetimetoken"
	"authbff/ent/user"
)

// One-time token lifetimes (CONTRACT.md §4).
const (
	VerifyTokenTTL = 24 * time.Hour
	ResetTokenTTL  = time.Hour
)

// issueToken stores a new one-time token of kind for uid (only its hash) and returns it.
func (s *Service) issueToken(ctx context.Context, tx *ent.Tx, uid uuid.UUID, kind onetimetoken.Kind, ttl time.Duration, now time.Time) (string, error) {
	tok, err := newOpaqueToken(s.cfg.Rand)
	if err != nil {
		return "", err
	}
	err = tx.OneTimeToken.Create().SetID(uuid.New()).SetUserID(uid).SetKind(kind).SetTokenHash(hashToken(tok)).
		SetCreatedAt(now).SetExpiresAt(now.Add(ttl)).Exec(ctx)
	return tok, err
}

// consumeToken marks a live token of kind used and returns its user id. The conditional
// update makes it single use even under concurrent requests. Errors: INVALID_TOKEN.
func consumeToken(ctx context.Context, tx *ent.Tx, kind onetimetoken.Kind, token string, now time.Time) (uuid.UUID, error) {
	h := hashToken(token)
	n, err := tx.OneTimeToken.Update().Where(onetimetoken.TokenHash(h), onetimetoken.KindEQ(kind),
		onetimetoken.UsedAtIsNil(), onetimetoken.ExpiresAtGT(now)).SetUsedAt(now).Save(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	if n != 1 {
		return uuid.Nil, newError(CodeInvalidToken, MsgInvalidToken)
	}
	t, err := tx.OneTimeToken.Query().Where(onetimetoken.TokenHash(h)).Only(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	return t.UserID, nil
}

// link builds a front-end URL carrying token.
func (s *Service) link(path, token string) string {
	return s.cfg.FrontendURL + path + "?token=" + url.QueryEscape(token)
}

// Requests for mail to an address that may or may not have an account
// (forgot-password, resend-verification) do not look the account up on the request
// path: the request only writes one outbox row naming the address, the same row
// whether an account exists or not, so both answers take the same time (timing would
// otherwise tell whether an address has an account: the existing one costs a token and
// a rendered mail). The outbox worker then expands the row in one transaction: it looks
// the account up and, when it qualifies, issues the token and queues the real mail to
// the address stored on the account; the request row goes either way. The row is
// committed before the answer, so a crash loses nothing.
const (
	mailRequestReset  = "request:reset_password"
	mailRequestVerify = "request:verify_email"
)

// requestLimits name the limits of one kind of mail request: per client (exceeded: a
// RATE_LIMIT_EXCEEDED the client sees), and per client and address and per address
// (exceeded: the usual answer and no mail, so that neither enumeration nor flooding a
// mailbox works).
type requestLimits struct{ client, clientAddress, address string }

var mailRequestLimits = map[string]requestLimits{
	mailRequestReset:  {LimitForgotIP, LimitForgotAddress, LimitForgotAddressTotal},
	mailRequestVerify: {LimitResendIP, LimitResendAddress, LimitResendAddressTotal},
}

// requestMail is forgot-password's and resend-verification's one path once the address
// is valid: kind's limits (mailRequestLimits), then the request row (queueRequest).
func (s *Service) requestMail(ctx context.Context, kind, address string) error {
	l, ok := mailRequestLimits[kind]
	if !ok {
		return Internal(fmt.Errorf("auth: no limits for mail request %q", kind))
	}
	if err := s.take(ctx, l.client, client(ctx)); err != nil {
		return err
	}
	if addr := foldKey(address); !s.quietly(ctx, [2]string{l.clientAddress, perClient(ctx, addr)}, [2]string{l.address, addr}) {
		return nil // over a per-address limit: answer as usual, send nothing
	}
	return s.queueRequest(ctx, kind, address)
}

// queueRequest writes the request row of kind for address (normalized).
func (s *Service) queueRequest(ctx context.Context, kind, address string) error {
	now := s.now()
	err := s.db.Mail.Create().SetID(uuid.New()).SetKind(kind).SetTo(address).SetSubject("").SetTextBody("").
		SetHTMLBody("").SetNextAttemptAt(now).SetCreatedAt(now).Exec(ctx)
	if err != nil {
		return Internal(err)
	}
	s.wakeMailer()
	return nil
}

// expandRequest turns a claimed request row into the mail it asks for, if the address
// has an account that qualifies, and deletes it. An error leaves the row to be claimed
// again once its lease ends.
func (s *Service) expandRequest(ctx context.Context, m *ent.Mail) error {
	now := s.now()
	return s.inTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.Mail.Delete().Where(mail.ID(m.ID), mail.StatusEQ(mail.StatusSending)).Exec(ctx)
		if err != nil || n != 1 {
			return err // another worker took it over after a lease expiry
		}
		q := tx.User.Query().Where(user.EmailKey(foldKey(m.To)), user.IsActive(true))
		if m.Kind == mailRequestVerify {
			q.Where(user.IsVerified(false))
		}
		u, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.Kind == mailRequestVerify {
			return s.sendVerification(ctx, tx, u, now)
		}
		tok, err := s.issueToken(ctx, tx, u.ID, onetimetoken.KindResetPassword, ResetTokenTTL, now)
		if err != nil {
			return err
		}
		return s.enqueueMail(ctx, tx, MailReset, u.Email, mailData{Username: u.Username, Link: s.link("/reset-password", tok)}, now)
	})
}
