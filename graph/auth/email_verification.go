package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/onetimetoken"
)

// sendVerification issues a verification token and queues its mail to the stored address.
func (s *Service) sendVerification(ctx context.Context, tx *ent.Tx, u *ent.User, now time.Time) error {
	tok, err := s.issueToken(ctx, tx, u.ID, onetimetoken.KindVerifyEmail, VerifyTokenTTL, now)
	if err != nil {
		return err
	}
	return s.enqueueMail(ctx, tx, MailVerify, u.Email, mailData{Username: u.Username, Link: s.link("/verify-email", tok)}, now)
}

// VerifyEmailInput is the verify-email form.
type VerifyEmailInput struct {
	Token string
}

// VerifyEmailForm declares VerifyEmailInput's field.
var VerifyEmailForm = newForm(
	text(FieldToken, nil, func(in *VerifyEmailInput) *string { return &in.Token }),
)

// VerifyEmail consumes a verification token and marks the address verified.
// Errors: VALIDATION_ERROR, INVALID_TOKEN (unknown, expired or used).
func (s *Service) VerifyEmail(ctx context.Context, in VerifyEmailInput) error {
	if err := VerifyEmailForm.Validate(&in); err != nil {
		return err
	}
	if err := s.take(ctx, LimitVerifyIP, client(ctx)); err != nil {
		return err
	}
	now := s.now()
	var uid uuid.UUID
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if uid, err = consumeToken(ctx, tx, onetimetoken.KindVerifyEmail, in.Token, now); err != nil {
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

// ResendVerificationInput is the resend-verification form.
type ResendVerificationInput struct {
	Email string
}

// ResendVerificationForm declares ResendVerificationInput's field.
var ResendVerificationForm = newForm(
	text(FieldEmail, emailRule, func(in *ResendVerificationInput) *string { return &in.Email }),
)

// ResendVerification queues a new verification mail when email belongs to an active,
// unverified account. It answers the same whether or not it does (no enumeration), and
// does the same work: see queueRequest.
// Errors: VALIDATION_ERROR.
func (s *Service) ResendVerification(ctx context.Context, in ResendVerificationInput) error {
	if err := ResendVerificationForm.Validate(&in); err != nil {
		return err
	}
	return s.requestMail(ctx, mailRequestVerify, in.Email)
}
