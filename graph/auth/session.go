package auth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/session"
)

// Client describes who is calling: the transports put it in the context.
type Client struct {
	IP        string
	UserAgent string
	RequestID string // ties log lines to the X-Request-ID of the response
}

type clientKey struct{}

// WithClient returns ctx carrying the caller's address and user agent.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the caller set by WithClient (zero if none).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Principal is an authenticated caller: a live session of an active user.
type Principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	OrgID     *uuid.UUID
	user      *ent.User
	ended     atomic.Bool // the caller ended this very session (logout, revoking it)
}

// Ended reports whether an operation of this request ended the principal's own session:
// whatever else the request asks must then be refused, as a new request would be.
func (p *Principal) Ended() bool { return p.ended.Load() }

// Tokens is a fresh access/refresh pair.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	ExpiresIn    int
	sessionID    uuid.UUID
}

// AuthResult is what register and login answer.
type AuthResult struct {
	Tokens
	User *User
}

// Authenticate checks a bearer access token: signature, claims, and that its session is
// live and its account active, so that logout and revocation act at once. It costs one
// indexed query. Errors: AUTHENTICATION_FAILED.
func (s *Service) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, errAuthRequired()
	}
	now := s.now()
	s.maybeReload(ctx, false)
	v, ok := s.verified.get(raw, now, &s.ring)
	if !ok {
		c, err := s.parseAccess(ctx, raw, now)
		if err != nil {
			return nil, errAuthRequired()
		}
		if v, ok = verifiedFrom(c); !ok {
			return nil, errAuthRequired()
		}
		s.verified.put(raw, v)
	}
	uid, sid, org := v.uid, v.sid, v.org
	// One fixed statement (hotsql.go): the user row, if the account is active, the
	// session live, and (for a token naming an organization) the user still a member.
	// A token naming an organization the user has left stops working at once.
	var u *ent.User
	scan := func(r rowScanner) (err error) { u, err = scanUser(r); return err }
	var err error
	if org != nil {
		err = s.queryRow(ctx, scan, s.hot.authUserOrg, uid, true, sid, now, uid, *org)
	} else {
		err = s.queryRow(ctx, scan, s.hot.authUser, uid, true, sid, now)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAuthRequired()
	}
	if err != nil {
		return nil, Internal(err)
	}
	return &Principal{UserID: uid, SessionID: sid, OrgID: org, user: u}, nil
}

// startSession creates a session with its first refresh token for u, ending the oldest
// sessions beyond MaxSessions, and signs the first access token.
func (s *Service) startSession(ctx context.Context, tx *ent.Tx, u *ent.User, org *uuid.UUID, now time.Time) (Tokens, error) {
	if err := lockUser(ctx, tx, u.ID); err != nil {
		return Tokens{}, err
	}
	cl := ClientFrom(ctx)
	sid := uuid.New()
	sess := tx.Session.Create().SetID(sid).SetUserID(u.ID).SetNillableOrgID(org).
		SetCreatedAt(now).SetLastUsedAt(now).SetExpiresAt(now.Add(s.cfg.SessionMaxAge)).
		SetIP(truncate(cl.IP, 64)).SetUserAgent(truncate(cl.UserAgent, 512))
	if _, err := sess.Save(ctx); err != nil {
		return Tokens{}, err
	}
	if err := s.evictSessions(ctx, tx, u.ID, now); err != nil {
		return Tokens{}, err
	}
	refresh, err := newOpaqueToken(s.cfg.Rand)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.storeRefresh(ctx, tx, sid, nil, refresh, now, now.Add(s.cfg.SessionMaxAge)); err != nil {
		return Tokens{}, err
	}
	access, err := s.issueAccess(u.ID, sid, org, u.Roles, now)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, TokenType: TokenType, ExpiresIn: s.ExpiresIn(), sessionID: sid}, nil
}

func (s *Service) storeRefresh(ctx context.Context, tx *ent.Tx, sid uuid.UUID, parent *uuid.UUID, token string, now, sessionEnd time.Time) error {
	exp := now.Add(s.cfg.RefreshTTL)
	if exp.After(sessionEnd) {
		exp = sessionEnd
	}
	return tx.RefreshToken.Create().SetID(uuid.New()).SetSessionID(sid).SetNillableParentID(parent).
		SetTokenHash(hashToken(token)).SetCreatedAt(now).SetExpiresAt(exp).Exec(ctx)
}

// evictSessions ends the oldest live sessions of a user beyond MaxSessions.
func (s *Service) evictSessions(ctx context.Context, tx *ent.Tx, uid uuid.UUID, now time.Time) error {
	ids, err := tx.Session.Query().
		Where(session.UserID(uid), session.RevokedAtIsNil(), session.ExpiresAtGT(now)).
		Order(ent.Desc(session.FieldCreatedAt), ent.Desc(session.FieldID)).
		Offset(s.cfg.MaxSessions).IDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	return tx.Session.Update().Where(session.IDIn(ids...)).SetRevokedAt(now).SetRevokeReason("evicted").Exec(ctx)
}

// Logout ends the caller's session: its access and refresh tokens stop working at once.
// Errors: AUTHENTICATION_FAILED.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil {
		return errAuthRequired()
	}
	err := s.db.Session.Update().Where(session.ID(p.SessionID), session.RevokedAtIsNil()).
		SetRevokedAt(s.now()).SetRevokeReason("logout").Exec(ctx)
	if err != nil {
		return Internal(err)
	}
	p.ended.Store(true)
	s.auditP(ctx, EventLoggedOut, p, nil)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
