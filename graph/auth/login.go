package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/onetimetoken"
)

// LoginInput is the login form: username is a username or an e-mail address.
type LoginInput struct {
	Username string
	Password string
}

// LoginForm declares LoginInput's fields: no rules (a password is checked as set).
var LoginForm = newForm(
	text(FieldUsername, nil, func(in *LoginInput) *string { return &in.Username }),
	text(FieldPassword, nil, func(in *LoginInput) *string { return &in.Password }),
)

// Login checks a password and starts a session. An unknown user costs a dummy hash and
// gets the same answer as a wrong password. A deactivated account is told so only after
// a correct password. Login sets last_login, and the answer shows the new value; it
// voids outstanding reset links (the password works after all).
// Attempts are limited per client and failures per account and client, under a higher
// per-account ceiling (unknown identifiers are limited alike, so a 429 tells nothing
// about existence): a stranger's failures do not refuse the owner's password from
// elsewhere. After LockoutThreshold consecutive failures the password login of an
// account answers as a wrong password until a password reset, and the owner is mailed a
// reset link.
// Errors: VALIDATION_ERROR, RATE_LIMIT_EXCEEDED, AUTHENTICATION_FAILED, FORBIDDEN
// (deactivated), SERVICE_UNAVAILABLE.
func (s *Service) Login(ctx context.Context, in LoginInput) (*AuthResult, error) {
	res, err := s.login(ctx, in)
	s.cfg.Metrics.Login(loginOutcome(err))
	return res, err
}

// loginOutcome is the logins_total label of a login's result.
func loginOutcome(err error) string {
	var e *Error
	switch {
	case err == nil:
		return "success"
	case !errors.As(err, &e):
		return "error"
	case e.Code == CodeAuthFailed:
		return "failure"
	case e.Code == CodeRateLimited:
		return "rate_limited"
	case e.Code == CodeForbidden:
		return "forbidden"
	case e.Code == CodeServiceUnavailable:
		return "unavailable"
	case e.Code == CodeValidation:
		return "invalid"
	}
	return "error"
}

func (s *Service) login(ctx context.Context, in LoginInput) (*AuthResult, error) {
	if err := LoginForm.Validate(&in); err != nil {
		return nil, err
	}
	if err := s.take(ctx, LimitLoginIP, client(ctx)); err != nil {
		return nil, err
	}
	key := foldKey(in.Username)
	u, err := s.loginUser(ctx, key)
	if err != nil {
		return nil, Internal(err)
	}
	account := "?" + key
	if u != nil {
		account = u.ID.String()
	}
	if err := s.overAccount(ctx, account); err != nil {
		return nil, err
	}
	stored := ""
	if u != nil && u.PasswordHash != nil {
		stored = *u.PasswordHash
	}
	ok, rehash, err := s.hash.Verify(ctx, stored, in.Password)
	if err != nil {
		return nil, err
	}
	if ok && u.FailedLogins >= s.cfg.LockoutThreshold {
		ok = false // locked out until a password reset; the answer does not say so
	}
	if !ok {
		return nil, s.loginFailed(ctx, u, account)
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
	s.maybeReload(ctx, false) // sign with a key another replica may have rotated in
	now := s.now()
	var res *AuthResult
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		fresh, err := s.loginUpdate(ctx, tx, u.ID, now, newHash)
		if err != nil {
			return err
		}
		// The password works: a reset link still waiting in the mailbox is no longer
		// needed, and must not stay usable by whoever reads that mailbox later.
		if err := s.voidResetTokens(ctx, tx, u.ID, now); err != nil {
			return err
		}
		org, err := s.loginOrg(ctx, tx, fresh)
		if err != nil {
			return err
		}
		toks, err := s.startSession(ctx, tx, fresh, org, now)
		if err != nil {
			return err
		}
		res = &AuthResult{Tokens: toks, User: userFromEnt(fresh)}
		// The event commits with the session it records: one commit (one fsync on
		// SQLite) per login instead of two.
		return s.auditInsert(ctx, EventLoginSucceeded, tx, &u.ID, &toks.sessionID, nil)
	})
	if err != nil {
		return nil, err
	}
	s.resetLimit(ctx, LimitLoginAccount, perClient(ctx, account))
	return res, nil
}

// loginUser is the account key names (its username_key or email_key), or nil.
func (s *Service) loginUser(ctx context.Context, key string) (*ent.User, error) {
	var u *ent.User
	err := s.queryRow(ctx, func(r rowScanner) (err error) {
		u, err = scanUser(r)
		return err
	}, s.hot.loginUser, key, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, err
}

// loginUpdate records a successful login of uid in tx (last_login, failed_logins back to
// 0, and newHash unless it is empty) and answers the account as it now is. An account
// deleted since the lookup is an internal error, as ent's NotFoundError was.
func (s *Service) loginUpdate(ctx context.Context, tx *ent.Tx, uid uuid.UUID, now time.Time, newHash string) (*ent.User, error) {
	hash := sql.NullString{String: newHash, Valid: newHash != ""}
	var u *ent.User
	err := txQueryRow(ctx, tx, func(r rowScanner) (err error) {
		u, err = scanUser(r)
		return err
	}, s.hot.loginUpdate, now, hash, uid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("auth: account %s not found recording its login: %w", uid, err)
	}
	return u, err
}

// overAccount checks, without spending, the failed-login limits of account: the
// caller's own bucket (account and client) and the account's total.
func (s *Service) overAccount(ctx context.Context, account string) error {
	if err := s.over(ctx, LimitLoginAccount, perClient(ctx, account)); err != nil {
		return err
	}
	return s.over(ctx, LimitLoginAccountTotal, account)
}

// loginFailed counts a failed password check (a wrong login password or a wrong current
// password) against the account and answers AUTHENTICATION_FAILED. The failure that
// makes the count reach LockoutThreshold mails the owner a reset link (once: later
// failures only count), so that the owner learns of the lockout and can end it.
func (s *Service) loginFailed(ctx context.Context, u *ent.User, account string) error {
	_ = s.spend(ctx, LimitLoginAccount, perClient(ctx, account), 1)
	_ = s.spend(ctx, LimitLoginAccountTotal, account, 1)
	var uid *uuid.UUID
	if u != nil {
		uid = &u.ID
		locked := false
		err := s.inTx(ctx, func(tx *ent.Tx) error {
			fresh, err := tx.User.UpdateOneID(u.ID).AddFailedLogins(1).Save(ctx)
			if err != nil {
				return err
			}
			if fresh.FailedLogins != s.cfg.LockoutThreshold || !fresh.IsActive {
				return nil
			}
			locked = true
			now := s.now()
			tok, err := s.issueToken(ctx, tx, u.ID, onetimetoken.KindResetPassword, ResetTokenTTL, now)
			if err != nil {
				return err
			}
			return s.enqueueMail(ctx, tx, MailLocked, fresh.Email,
				mailData{Username: fresh.Username, Link: s.link("/reset-password", tok)}, now)
		})
		if err != nil {
			return err
		}
		if locked {
			s.wakeMailer()
			s.audit(ctx, EventAccountLocked, uid, nil)
		}
	}
	s.audit(ctx, EventLoginFailed, uid, nil)
	return newError(CodeAuthFailed, MsgInvalidLogin)
}
