package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/onetimetoken"
	"authbff/ent/session"
)

// ForgotPasswordInput is the forgot-password form.
type ForgotPasswordInput struct {
	Email string
}

// ForgotPasswordForm declares ForgotPasswordInput's field.
var ForgotPasswordForm = newForm(
	text(FieldEmail, emailRule, func(in *ForgotPasswordInput) *string { return &in.Email }),
)

// ForgotPassword queues a reset mail when email belongs to an active account, to the
// address stored on the account. It answers the same either way, and does the same work
// (see queueRequest). Errors: VALIDATION_ERROR, RATE_LIMIT_EXCEEDED (per client).
func (s *Service) ForgotPassword(ctx context.Context, in ForgotPasswordInput) error {
	if err := ForgotPasswordForm.Validate(&in); err != nil {
		return err
	}
	return s.requestMail(ctx, mailRequestReset, in.Email)
}

// ResetPasswordInput is the reset-password form.
type ResetPasswordInput struct {
	Token       string
	NewPassword string
}

// ResetPasswordForm declares ResetPasswordInput's fields and rules.
var ResetPasswordForm = newForm(
	text(FieldToken, nil, func(in *ResetPasswordInput) *string { return &in.Token }),
	text(FieldNewPassword, newPasswordRule, func(in *ResetPasswordInput) *string { return &in.NewPassword }),
)

// ResetPassword consumes a reset token and sets a new password. It ends every session
// of the account, voids its other reset tokens, clears the failed-login count and marks
// the address verified (the mail proved it).
// Errors: VALIDATION_ERROR, INVALID_TOKEN, SERVICE_UNAVAILABLE.
func (s *Service) ResetPassword(ctx context.Context, in ResetPasswordInput) error {
	if err := ResetPasswordForm.Validate(&in); err != nil {
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
		if ve := checkPasswordIdentity(FieldNewPassword, in.NewPassword, acct.Username, acct.Email); ve != nil {
			return ve // rolls back: the token stays usable
		}
		u, err := tx.User.UpdateOneID(uid).SetPasswordHash(hash).SetIsVerified(true).SetFailedLogins(0).
			SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if err := s.signOutEverywhere(ctx, tx, uid, uuid.Nil, "password_reset", now); err != nil {
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

// voidResetTokens ends every outstanding reset link of uid: a reset link must not outlive
// the password it was sent to replace (change-password, reset, operator set-password)
// nor the account's deactivation, and a successful login voids them too (login.go). A
// fixed statement (hotsql.go: every login runs it).
func (s *Service) voidResetTokens(ctx context.Context, tx *ent.Tx, uid uuid.UUID, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.hot.resetVoid, now, uid)
	return err
}

// signOutEverywhere ends, in tx, what must not outlive an account's old password or its
// deactivation: every outstanding reset link (voidResetTokens) and every live session of
// uid but keep (the change-password caller's own; uuid.Nil keeps none), revoked with
// reason. One rule for change-password, reset, operator set-password and deactivation.
func (s *Service) signOutEverywhere(ctx context.Context, tx *ent.Tx, uid, keep uuid.UUID, reason string, now time.Time) error {
	if err := s.voidResetTokens(ctx, tx, uid, now); err != nil {
		return err
	}
	q := tx.Session.Update().Where(session.UserID(uid), session.RevokedAtIsNil())
	if keep != uuid.Nil {
		q.Where(session.IDNEQ(keep))
	}
	return q.SetRevokedAt(now).SetRevokeReason(reason).Exec(ctx)
}
