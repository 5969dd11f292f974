package auth

import (
	"context"
	"net/url"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/mail"
	"authbff/ent/onetimetoken"
	"authbff/ent/session"
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

// voidResetTokens ends every outstanding reset link of uid: a reset link must not outlive
// the password it was sent to replace (change-password, reset, operator set-password)
// nor the account's deactivation.
func voidResetTokens(ctx context.Context, tx *ent.Tx, uid uuid.UUID, now time.Time) error {
	return tx.OneTimeToken.Update().Where(onetimetoken.UserID(uid), onetimetoken.KindEQ(onetimetoken.KindResetPassword),
		onetimetoken.UsedAtIsNil()).SetUsedAt(now).Exec(ctx)
}

// link builds a front-end URL carrying token.
func (s *Service) link(path, token string) string {
	return s.cfg.FrontendURL + path + "?token=" + url.QueryEscape(token)
}

// sendVerification issues a verification token and queues its mail to the stored address.
func (s *Service) sendVerification(ctx context.Context, tx *ent.Tx, u *ent.User, now time.Time) error {
	tok, err := s.issueToken(ctx, tx, u.ID, onetimetoken.KindVerifyEmail, VerifyTokenTTL, now)
	if err != nil {
		return err
	}
	return s.enqueueMail(ctx, tx, MailVerify, u.Email, mailData{Username: u.Username, Link: s.link("/verify-email", tok)}, now)
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

// VerifyEmail consumes a verification token and marks the address verified.
// Errors: VALIDATION_ERROR, INVALID_TOKEN (unknown, expired or used).
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if _, err := validate("verifyEmail", Values{"token": token}); err != nil {
		return err
	}
	if err := s.take(ctx, LimitVerifyIP, client(ctx)); err != nil {
		return err
	}
	now := s.now()
	var uid uuid.UUID
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if uid, err = consumeToken(ctx, tx, onetimetoken.KindVerifyEmail, token, now); err != nil {
			return err
		}
		return tx.User.UpdateOneID(uid).SetIsVerified(true).SetUpdatedAt(now).Exec(ctx)
	})
	if err != nil {
		return err
	}
	s.audit(ctx, EventEmailVerified, &uid, nil)
	return nil
}

// ResendVerification queues a new verification mail when email belongs to an active,
// unverified account. It answers the same whether or not it does (no enumeration), and
// does the same work: see queueRequest.
// Errors: VALIDATION_ERROR.
func (s *Service) ResendVerification(ctx context.Context, email string) error {
	v, err := validate("resendVerification", Values{"email": email})
	if err != nil {
		return err
	}
	if err := s.take(ctx, LimitResendIP, client(ctx)); err != nil {
		return err
	}
	if addr := foldKey(v["email"]); !s.quietly(ctx, [2]string{LimitResendAddress, perClient(ctx, addr)}, [2]string{LimitResendAddressTotal, addr}) {
		return nil // over a per-address limit: answer as usual, send nothing
	}
	return s.queueRequest(ctx, mailRequestVerify, v["email"])
}

// ForgotPassword queues a reset mail when email belongs to an active account, to the
// address stored on the account. It answers the same either way, and does the same work
// (see queueRequest). Errors: VALIDATION_ERROR, RATE_LIMIT_EXCEEDED (per client).
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	v, err := validate("forgotPassword", Values{"email": email})
	if err != nil {
		return err
	}
	if err := s.take(ctx, LimitForgotIP, client(ctx)); err != nil {
		return err
	}
	if addr := foldKey(v["email"]); !s.quietly(ctx, [2]string{LimitForgotAddress, perClient(ctx, addr)}, [2]string{LimitForgotAddressTotal, addr}) {
		return nil // over a per-address limit: answer as usual, send nothing
	}
	return s.queueRequest(ctx, mailRequestReset, v["email"])
}

// ResetPasswordInput is the reset-password form.
type ResetPasswordInput struct {
	Token       string
	NewPassword string
}

// ResetPassword consumes a reset token and sets a new password. It ends every session
// of the account, voids its other reset tokens, clears the failed-login count and marks
// the address verified (the mail proved it).
// Errors: VALIDATION_ERROR, INVALID_TOKEN, SERVICE_UNAVAILABLE.
func (s *Service) ResetPassword(ctx context.Context, in ResetPasswordInput) error {
	if _, err := validate("resetPassword", Values{"token": in.Token, "new_password": in.NewPassword}); err != nil {
		return err
	}
	if err := s.take(ctx, LimitResetIP, client(ctx)); err != nil {
		return err
	}
	hash, err := s.hash.Hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	now := s.now()
	var notify *ent.User
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		uid, err := consumeToken(ctx, tx, onetimetoken.KindResetPassword, in.Token, now)
		if err != nil {
			return err
		}
		acct, err := tx.User.Get(ctx, uid)
		if err != nil {
			return err
		}
		if ve := checkPasswordIdentity("new_password", in.NewPassword, acct.Username, acct.Email); ve != nil {
			return ve // rolls back: the token stays usable
		}
		u, err := tx.User.UpdateOneID(uid).SetPasswordHash(hash).SetIsVerified(true).SetFailedLogins(0).
			SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if err := voidResetTokens(ctx, tx, uid, now); err != nil {
			return err
		}
		if err := tx.Session.Update().Where(session.UserID(uid), session.RevokedAtIsNil()).
			SetRevokedAt(now).SetRevokeReason("password_reset").Exec(ctx); err != nil {
			return err
		}
		notify = u
		return s.enqueueMail(ctx, tx, MailPasswordChanged, u.Email, mailData{Username: u.Username}, now)
	})
	if err != nil {
		return err
	}
	s.wakeMailer()
	s.resetLimit(ctx, LimitLoginAccount, notify.ID.String())
	s.audit(ctx, EventPasswordReset, &notify.ID, nil)
	return nil
}
