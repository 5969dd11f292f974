package auth

import (
	"context"

	"authbff/ent"
	"authbff/ent/user"

	"github.com/google/uuid"
)

// Administration for operators (`authbff users …`): there is no API for these on purpose.

// findAccount looks an account up by username or e-mail, ignoring case.
func findAccount(ctx context.Context, users *ent.UserClient, identifier string) (*ent.User, error) {
	key := foldKey(identifier)
	u, err := users.Query().Where(user.Or(user.UsernameKey(key), user.EmailKey(key))).First(ctx)
	if ent.IsNotFound(err) {
		return nil, newError(CodeNotFound, "No account with that username or e-mail")
	}
	return u, err
}

// SetActive activates or deactivates an account. Deactivation acts at once: every
// session ends, outstanding reset links die, access tokens stop working, login answers 403 after a correct password.
// Errors: NOT_FOUND.
func (s *Service) SetActive(ctx context.Context, identifier string, active bool) error {
	now := s.now()
	return s.inTx(ctx, func(tx *ent.Tx) error {
		u, err := findAccount(ctx, tx.User, identifier)
		if err != nil {
			return err
		}
		if err := tx.User.UpdateOne(u).SetIsActive(active).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
		if active {
			return nil
		}
		return s.signOutEverywhere(ctx, tx, u.ID, uuid.Nil, "deactivated", now)
	})
}

// SetPasswordInput is what an operator gives `users set-password`: the account (a
// username, an e-mail address or an id) and its new password.
type SetPasswordInput struct {
	Identifier  string
	NewPassword string
}

// SetPasswordForm declares SetPasswordInput's field rules: the new password's policy,
// as for a reset (the identifier is looked up, not validated).
var SetPasswordForm = newForm(
	text(FieldNewPassword, newPasswordRule, func(in *SetPasswordInput) *string { return &in.NewPassword }),
)

// SetPassword sets an account's password as an operator would for a locked-out user:
// the same policy as every other path, every session ends, the failed-login count (and
// so a lockout) is cleared. Errors: NOT_FOUND, VALIDATION_ERROR, SERVICE_UNAVAILABLE.
func (s *Service) SetPassword(ctx context.Context, in SetPasswordInput) error {
	if err := SetPasswordForm.Validate(&in); err != nil {
		return err
	}
	u, err := findAccount(ctx, s.db.User, in.Identifier)
	if err != nil {
		return Internal(err)
	}
	if ve := checkPasswordIdentity(FieldNewPassword, in.NewPassword, u.Username, u.Email); ve != nil {
		return ve
	}
	hash, err := s.hash.Hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOne(u).SetPasswordHash(hash).SetFailedLogins(0).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
		return s.signOutEverywhere(ctx, tx, u.ID, uuid.Nil, "password_set_by_operator", now)
	})
	if err != nil {
		return err
	}
	s.resetLimit(ctx, LimitLoginAccount, u.ID.String())
	s.audit(ctx, EventPasswordReset, &u.ID, map[string]any{"by": "operator"})
	return nil
}
