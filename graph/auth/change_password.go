package auth

import (
	"context"

	"golang.org/x/text/unicode/norm"

	"authbff/ent"
)

// ChangePasswordInput is the change-password form.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
}

// ChangePasswordForm declares ChangePasswordInput's fields and rules: the current
// password is only bounded (it is checked as set), the new one follows the policy.
var ChangePasswordForm = newForm(
	text(FieldCurrentPassword, maxLenRule(PasswordMaxLen), func(in *ChangePasswordInput) *string { return &in.CurrentPassword }),
	text(FieldNewPassword, newPasswordRule, func(in *ChangePasswordInput) *string { return &in.NewPassword }),
)

// ChangePassword sets a new password after checking the current one, and ends every
// other session of the account (the caller's stays) and every outstanding reset link.
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, INVALID_PASSWORD, SERVICE_UNAVAILABLE.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, in ChangePasswordInput) error {
	if p == nil {
		return errAuthRequired()
	}
	if err := ChangePasswordForm.Validate(&in); err != nil {
		return err
	}
	if ve := checkPasswordIdentity(FieldNewPassword, in.NewPassword, p.user.Username, p.user.Email); ve != nil {
		return ve
	}
	// The same password again is no change (compared as verification sees them, after
	// NFC; no hash needed, the request holds both). A reset is not checked against the
	// stored hash: that costs an argon2 verification on a path meant for someone who
	// lost the password, and a reset ends every session anyway.
	if norm.NFC.String(in.NewPassword) == norm.NFC.String(in.CurrentPassword) {
		fe := valueError(ReasonSameAsCurrent)
		fe.Field, fe.Input = FieldNewPassword, Redacted
		return ValidationError(*fe)
	}
	if err := s.checkCurrentPassword(ctx, p, in.CurrentPassword); err != nil {
		return err
	}
	hash, err := s.hash.Hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(p.UserID).SetPasswordHash(hash).SetFailedLogins(0).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
		if err := s.signOutEverywhere(ctx, tx, p.UserID, p.SessionID, "password_changed", now); err != nil {
			return err
		}
		return s.enqueueMail(ctx, tx, MailPasswordChanged, p.user.Email, mailData{Username: p.user.Username}, now)
	})
	if err != nil {
		return err
	}
	s.wakeMailer()
	s.auditP(ctx, EventPasswordChanged, p, nil)
	return nil
}

// checkCurrentPassword verifies the signed-in user's current password before a change
// of password or an erasure, under the change-password IP limit and the per-account
// failed-login limit; a wrong password counts as a failed login (CONTRACT.md §7).
// Errors: RATE_LIMIT_EXCEEDED, INVALID_PASSWORD, SERVICE_UNAVAILABLE.
func (s *Service) checkCurrentPassword(ctx context.Context, p *Principal, current string) error {
	if err := s.take(ctx, LimitChangePasswordIP, client(ctx)); err != nil {
		return err
	}
	account := p.UserID.String()
	if err := s.overAccount(ctx, account); err != nil {
		return err
	}
	stored := ""
	if p.user.PasswordHash != nil {
		stored = *p.user.PasswordHash
	}
	ok, _, err := s.hash.Verify(ctx, stored, current)
	if err != nil {
		return err
	}
	if !ok {
		// A wrong current password counts as a failed login (CONTRACT.md §7).
		if err := s.loginFailed(ctx, p.user, account); err != nil && !isCode(err, CodeAuthFailed) {
			return err
		}
		return newError(CodeInvalidPassword, MsgWrongPassword)
	}
	return nil
}
