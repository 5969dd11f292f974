package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"authbff/ent"
	"authbff/ent/membership"
	"authbff/ent/user"
)

// RegisterInput is the register form. Optional fields are nil when absent.
type RegisterInput struct {
	Email       string
	Username    string
	Password    string
	FullName    *string
	InviteToken *string
}

// RegisterForm declares RegisterInput's fields and rules; the password must not equal
// the username or the e-mail (reported in the password's place).
var RegisterForm = newForm(
	text(FieldEmail, emailRule, func(in *RegisterInput) *string { return &in.Email }),
	text(FieldUsername, usernameRule, func(in *RegisterInput) *string { return &in.Username }),
	text(FieldPassword, newPasswordRule, func(in *RegisterInput) *string { return &in.Password }),
	optional(FieldFullName, maxLenRule(FullNameMaxLen), func(in *RegisterInput) **string { return &in.FullName }),
	optional(FieldInviteToken, nil, func(in *RegisterInput) **string { return &in.InviteToken }),
).also(registerIdentity)

// Register creates an account with its personal workspace (owned by the user, the
// session's first active organization), sends a verification mail and starts a session.
// With registration disabled only a valid invite for the same address admits; a valid
// invite also joins its organization with the invited role and marks the address verified.
// Errors: VALIDATION_ERROR, FORBIDDEN (registration disabled), INVALID_TOKEN (an invite
// token that is unknown, used, expired, revoked or for another address), CONFLICT
// (details.field email or username), SERVICE_UNAVAILABLE.
func (s *Service) Register(ctx context.Context, in RegisterInput) (*AuthResult, error) {
	if err := RegisterForm.Validate(&in); err != nil {
		return nil, err
	}
	email, username := in.Email, in.Username
	hasInvite := in.InviteToken != nil && *in.InviteToken != ""
	if !s.cfg.AllowRegistration && !hasInvite {
		return nil, newError(CodeForbidden, MsgRegistrationOff)
	}
	if err := s.take(ctx, LimitRegisterIP, client(ctx)); err != nil {
		return nil, err
	}
	hash, err := s.hash.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	s.maybeReload(ctx, false) // sign with a key another replica may have rotated in
	now := s.now()
	var res *AuthResult
	var joined *ent.Invite
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		joined = nil
		inv, err := s.admitInvite(ctx, tx, in.InviteToken, email, now)
		if err != nil {
			return err
		}
		u, orgID, err := createAccount(ctx, tx, newAccount{email: email, username: username, hash: hash,
			fullName: in.FullName, roles: []string{"user"}, verified: inv != nil}, now)
		if err != nil {
			return err
		}
		if inv != nil {
			if _, err := s.consumeInvite(ctx, tx, inv, u.ID, now); err != nil {
				return err
			}
			joined = inv
		} else if err := s.sendVerification(ctx, tx, u, now); err != nil {
			return err
		}
		toks, err := s.startSession(ctx, tx, u, &orgID, now)
		if err != nil {
			return err
		}
		res = &AuthResult{Tokens: toks, User: userFromEnt(u)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	s.auditSession(ctx, EventRegistered, &res.User.ID, &res.sessionID, nil)
	if joined != nil {
		s.auditSession(ctx, EventInviteAccepted, &res.User.ID, &res.sessionID,
			map[string]any{"org_id": joined.OrgID.String(), "invite_id": joined.ID.String()})
	}
	return res, nil
}

// newAccount is what createAccount writes.
type newAccount struct {
	email, username, hash string
	fullName              *string
	roles                 []string
	verified              bool
}

// createAccount is account creation, shared by Register and the operator's CreateAccount:
// the user (CONFLICT email or username, also when a concurrent registration wins the
// race) and its personal workspace, owned by the user and its default.
func createAccount(ctx context.Context, tx *ent.Tx, a newAccount, now time.Time) (*ent.User, uuid.UUID, error) {
	if taken, err := tx.User.Query().Where(user.EmailKey(foldKey(a.email))).Exist(ctx); err != nil {
		return nil, uuid.Nil, err
	} else if taken {
		return nil, uuid.Nil, errConflict("email")
	}
	if taken, err := tx.User.Query().Where(user.UsernameKey(foldKey(a.username))).Exist(ctx); err != nil {
		return nil, uuid.Nil, err
	} else if taken {
		return nil, uuid.Nil, errConflict("username")
	}
	uid, orgID := uuid.New(), uuid.New()
	u, err := tx.User.Create().SetID(uid).
		SetEmail(a.email).SetEmailKey(foldKey(a.email)).
		SetUsername(a.username).SetUsernameKey(foldKey(a.username)).
		SetPasswordHash(a.hash).SetNillableFullName(a.fullName).
		SetRoles(a.roles).SetIsVerified(a.verified).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, uuid.Nil, userConflict(ctx, tx, err, foldKey(a.username))
	}
	if err := tx.Organization.Create().SetID(orgID).SetName(a.username + "'s workspace").SetPersonal(true).
		SetCreatedAt(now).Exec(ctx); err != nil {
		return nil, uuid.Nil, err
	}
	if err := addMember(ctx, tx, uid, orgID, membership.RoleOwner, now); err != nil {
		return nil, uuid.Nil, err
	}
	if u, err = u.Update().SetDefaultWorkspaceID(orgID).Save(ctx); err != nil {
		return nil, uuid.Nil, err
	}
	return u, orgID, nil
}

// pgUsernameIndex is the unique index on users.username_key in the PostgreSQL schema
// (migrations/postgres; a test pins it).
const pgUsernameIndex = "users_username_key_key"

// userConflict maps a unique violation on users (a concurrent registration won the race
// between our check and our insert) to CONFLICT naming the field, from typed signals,
// never from the driver's message text: PostgreSQL names the violated index
// (PgError.ConstraintName); SQLite names none in a typed form, so the transaction, still
// usable after a failed statement there, is asked whether usernameKey is now taken.
// Anything that is not a unique violation is returned as it is.
func userConflict(ctx context.Context, tx *ent.Tx, err error, usernameKey string) error {
	if !ent.IsConstraintError(err) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.ConstraintName == pgUsernameIndex {
			return errConflict("username")
		}
		return errConflict("email")
	}
	taken, qerr := tx.User.Query().Where(user.UsernameKey(usernameKey)).Exist(ctx)
	if qerr != nil {
		return qerr
	}
	if taken {
		return errConflict("username")
	}
	return errConflict("email")
}
