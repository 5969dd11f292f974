package auth

import (
	"context"

	"authbff/ent"
	"authbff/ent/user"
)

// LoginInput is the login form: username is a username or an e-mail address.
type LoginInput struct {
	Username string
	Password string
}

// Login checks a password and starts a session. An unknown user costs a dummy hash and
// gets the same answer as a wrong password. A deactivated account is told so only after
// a correct password. Login sets last_login, and the answer shows the new value.
// Errors: VALIDATION_ERROR, AUTHENTICATION_FAILED, FORBIDDEN (deactivated),
// SERVICE_UNAVAILABLE.
func (s *Service) Login(ctx context.Context, in LoginInput) (*AuthResult, error) {
	if _, err := validate("login", Values{"username": in.Username, "password": in.Password}); err != nil {
		return nil, err
	}
	key := foldKey(in.Username)
	u, err := s.db.User.Query().Where(user.Or(user.UsernameKey(key), user.EmailKey(key))).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, Internal(err)
	}
	stored := ""
	if u != nil && u.PasswordHash != nil {
		stored = *u.PasswordHash
	}
	ok, rehash, err := s.hash.Verify(ctx, stored, in.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		if u != nil {
			if err := s.db.User.UpdateOneID(u.ID).AddFailedLogins(1).Exec(ctx); err != nil {
				return nil, Internal(err)
			}
		}
		return nil, newError(CodeAuthFailed, MsgInvalidLogin)
	}
	if !u.IsActive {
		return nil, newError(CodeForbidden, MsgAccountInactive)
	}
	var newHash string
	if rehash {
		if newHash, err = s.hash.Hash(ctx, in.Password); err != nil {
			newHash = "" // keep the old hash; the next login tries again
		}
	}
	now := s.now()
	var res *AuthResult
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		upd := tx.User.UpdateOneID(u.ID).SetLastLogin(now).SetFailedLogins(0)
		if newHash != "" {
			upd.SetPasswordHash(newHash)
		}
		fresh, err := upd.Save(ctx)
		if err != nil {
			return err
		}
		org, err := loginOrg(ctx, tx, fresh)
		if err != nil {
			return err
		}
		toks, err := s.startSession(ctx, tx, fresh, org, now)
		if err != nil {
			return err
		}
		res = &AuthResult{Tokens: toks, User: userFromEnt(fresh)}
		return nil
	})
	return res, err
}
