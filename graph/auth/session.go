package auth

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/membership"
	"authbff/ent/predicate"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
	"authbff/ent/user"
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
	c, err := s.parseAccess(ctx, raw, now)
	if err != nil {
		return nil, errAuthRequired()
	}
	uid, err1 := uuid.Parse(c.Subject)
	sid, err2 := uuid.Parse(c.SID)
	if err1 != nil || err2 != nil {
		return nil, errAuthRequired()
	}
	var org *uuid.UUID
	if c.Org != "" {
		o, err := uuid.Parse(c.Org)
		if err != nil {
			return nil, errAuthRequired()
		}
		org = &o
	}
	q := s.db.User.Query().Where(user.ID(uid), user.IsActive(true),
		user.HasSessionsWith(session.ID(sid), session.RevokedAtIsNil(), session.ExpiresAtGT(now)))
	if org != nil {
		// A token naming an organization the user has left (or was removed from) stops
		// working at once.
		q = q.Where(isMemberOf(*org))
	}
	u, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errAuthRequired()
	}
	if err != nil {
		return nil, Internal(err)
	}
	return &Principal{UserID: uid, SessionID: sid, OrgID: org, user: u}, nil
}

// isMemberOf is a correlated EXISTS on the (user_id, org_id) unique index: one index
// probe however large the organization (ent's HasMembershipsWith would list the whole
// organization's members).
func isMemberOf(org uuid.UUID) predicate.User {
	return func(s *entsql.Selector) {
		m := entsql.Table(membership.Table)
		s.Where(entsql.Exists(entsql.Select(m.C(membership.FieldID)).From(m).Where(entsql.And(
			entsql.ColumnsEQ(m.C(membership.FieldUserID), s.C(user.FieldID)),
			entsql.EQ(m.C(membership.FieldOrgID), org),
		))))
	}
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

// Refresh exchanges a refresh token for a new pair. Each token rotates once; presenting
// a rotated token again within RefreshReuseGrace of its rotation answers the same child
// (two tabs refreshing at once), after it revokes the whole session. Concurrent
// refreshes of one token are settled by a conditional update inside one transaction.
// Errors: AUTHENTICATION_FAILED.
func (s *Service) Refresh(ctx context.Context, token string) (*Tokens, error) {
	if _, err := validate("refreshToken", Values{"refresh_token": token}); err != nil {
		return nil, err
	}
	if err := s.take(ctx, LimitRefreshIP, client(ctx)); err != nil {
		return nil, err
	}
	s.maybeReload(ctx, false) // sign with a key another replica may have rotated in
	now := s.now()
	var out *Tokens
	var reuse bool
	var reused *ent.Session
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		out, reuse, reused = nil, false, nil
		rt, err := tx.RefreshToken.Query().Where(refreshtoken.TokenHash(hashToken(token))).
			WithSession(func(q *ent.SessionQuery) { q.WithUser() }).Only(ctx)
		if ent.IsNotFound(err) {
			return newError(CodeAuthFailed, MsgInvalidRefresh)
		}
		if err != nil {
			return err
		}
		sess := rt.Edges.Session
		u := sess.Edges.User
		if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) || !u.IsActive {
			return newError(CodeAuthFailed, MsgInvalidRefresh)
		}
		child := s.childRefresh(token)
		if rt.RotatedAt == nil {
			if !now.Before(rt.ExpiresAt) {
				return newError(CodeAuthFailed, MsgInvalidRefresh)
			}
			n, err := tx.RefreshToken.Update().Where(refreshtoken.ID(rt.ID), refreshtoken.RotatedAtIsNil()).
				SetRotatedAt(now).Save(ctx)
			if err != nil {
				return err
			}
			if n == 1 {
				if err := s.storeRefresh(ctx, tx, sess.ID, &rt.ID, child, now, sess.ExpiresAt); err != nil {
					return err
				}
				if err := tx.Session.UpdateOneID(sess.ID).SetLastUsedAt(now).Exec(ctx); err != nil {
					return err
				}
				access, err := s.issueAccess(u.ID, sess.ID, sess.OrgID, u.Roles, now)
				if err != nil {
					return err
				}
				out = &Tokens{AccessToken: access, RefreshToken: child, TokenType: TokenType, ExpiresIn: s.ExpiresIn()}
				return nil
			}
			// Another request rotated it between our read and our update: it is now a
			// rotated token, rotated just now, so the grace applies.
			rt.RotatedAt = &now
		}
		// A rotated token: inside the grace, answer the same child if it is still the
		// session's current token; otherwise this is reuse.
		if now.Sub(*rt.RotatedAt) <= s.cfg.RefreshReuseGrace && s.cfg.RefreshReuseGrace > 0 {
			cur, err := tx.RefreshToken.Query().
				Where(refreshtoken.TokenHash(hashToken(child)), refreshtoken.RotatedAtIsNil()).Exist(ctx)
			if err != nil {
				return err
			}
			if cur {
				access, err := s.issueAccess(u.ID, sess.ID, sess.OrgID, u.Roles, now)
				if err != nil {
					return err
				}
				out = &Tokens{AccessToken: access, RefreshToken: child, TokenType: TokenType, ExpiresIn: s.ExpiresIn()}
				return nil
			}
		}
		reuse, reused = true, sess
		return tx.Session.Update().Where(session.ID(sess.ID), session.RevokedAtIsNil()).
			SetRevokedAt(now).SetRevokeReason("refresh_reuse").Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	if reuse {
		s.cfg.Log.Warn("refresh token reuse detected; session revoked", "session_id", reused.ID)
		s.auditSession(ctx, EventRefreshReuse, &reused.UserID, &reused.ID, nil)
		return nil, newError(CodeAuthFailed, MsgInvalidRefresh)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
