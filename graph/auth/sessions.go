package auth

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
)

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

// startSession creates a session with its first refresh token for u, ending the oldest
// sessions beyond MaxSessions, and signs the first access token. Its statements are
// fixed (hotsql.go: every login and register runs them).
func (s *Service) startSession(ctx context.Context, tx *ent.Tx, u *ent.User, org *uuid.UUID, now time.Time) (Tokens, error) {
	if err := s.lockUser(ctx, tx, u.ID); err != nil {
		return Tokens{}, err
	}
	cl := ClientFrom(ctx)
	sid := newOrderedID()
	if _, err := tx.ExecContext(ctx, s.hot.sessionInsert, sid, u.ID, nullID(org), now, now, now.Add(s.cfg.SessionMaxAge),
		truncate(cl.IP, 64), truncate(cl.UserAgent, 512)); err != nil {
		return Tokens{}, err
	}
	if err := s.evictSessions(ctx, tx, u.ID, now); err != nil {
		return Tokens{}, err
	}
	refresh, err := s.storeRefresh(ctx, tx, sid, now, now.Add(s.cfg.SessionMaxAge))
	if err != nil {
		return Tokens{}, err
	}
	access, err := s.issueAccess(u.ID, sid, org, u.Roles, now)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, TokenType: TokenType, ExpiresIn: s.ExpiresIn(), sessionID: sid}, nil
}

// storeRefresh stores the first refresh token of session sid and returns it: its row's
// id and 256 random bits (tokens.go), stored as the SHA-256 of the token.
func (s *Service) storeRefresh(ctx context.Context, tx *ent.Tx, sid uuid.UUID, now, sessionEnd time.Time) (string, error) {
	exp := now.Add(s.cfg.RefreshTTL)
	if exp.After(sessionEnd) {
		exp = sessionEnd
	}
	id, token, secretHash, err := NewRefreshRow(s.cfg.Rand)
	if err != nil {
		return "", err
	}
	// The first token of a session has no parent (NULL parent_id, as ent's Create left it).
	_, err = tx.ExecContext(ctx, s.hot.refreshInsert, id, sid, nil, secretHash, now, exp)
	return token, err
}

// NewRefreshRow returns a refresh token of the format storeRefresh writes, for fixtures
// that insert sessions without logging in (cmd/seed): the id of its row, the token, and
// the secret_hash the row stores (its token_hash stays NULL).
func NewRefreshRow(r io.Reader) (id uuid.UUID, token string, secretHash []byte, err error) {
	id = newOrderedID()
	if token, err = newRefreshToken(r, id); err != nil {
		return uuid.Nil, "", nil, err
	}
	return id, token, hashToken(token), nil
}

// NewSessionID is the id a new session gets (time-ordered: newOrderedID), for fixtures
// that insert sessions without logging in (cmd/seed).
func NewSessionID() uuid.UUID { return newOrderedID() }

// evictSessions ends the oldest live sessions of a user beyond MaxSessions, in one
// fixed statement (hotsql.go).
func (s *Service) evictSessions(ctx context.Context, tx *ent.Tx, uid uuid.UUID, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.hot.sessionEvict, now, uid, now, s.cfg.MaxSessions)
	return err
}

// nullID is a nullable uuid column's argument: NULL for nil (as ent leaves a nillable
// field it is not given), else the id.
func nullID(id *uuid.UUID) uuid.NullUUID {
	if id == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *id, Valid: true}
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

// SessionInfo is one of the caller's live sessions.
type SessionInfo struct {
	ID         uuid.UUID
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	OrgID      *uuid.UUID
	Current    bool
}

// Sessions lists the caller's live sessions, newest first. Errors: AUTHENTICATION_FAILED.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]SessionInfo, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	now := s.now()
	rows, err := s.db.Session.Query().Where(session.UserID(p.UserID), session.RevokedAtIsNil(),
		session.ExpiresAtGT(now),
		// a session whose refresh token idled out can never be used again
		session.Or(session.ID(p.SessionID),
			session.HasRefreshTokensWith(refreshtoken.RotatedAtIsNil(), refreshtoken.ExpiresAtGT(now)))).
		Order(ent.Desc(session.FieldCreatedAt), ent.Desc(session.FieldID)).All(ctx)
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = SessionInfo{ID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
			IP: r.IP, UserAgent: r.UserAgent, OrgID: r.OrgID, Current: r.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions (the current one included).
// Errors: AUTHENTICATION_FAILED, NOT_FOUND (not a live session of the caller).
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	if p == nil {
		return errAuthRequired()
	}
	sid, err := uuid.Parse(id)
	if err != nil {
		return newError(CodeNotFound, "Session not found")
	}
	now := s.now()
	n, err := s.db.Session.Update().Where(session.ID(sid), session.UserID(p.UserID), session.RevokedAtIsNil(),
		session.ExpiresAtGT(now)).SetRevokedAt(now).SetRevokeReason("revoked_by_user").Save(ctx)
	if err != nil {
		return Internal(err)
	}
	if n != 1 {
		return newError(CodeNotFound, "Session not found")
	}
	if sid == p.SessionID {
		p.ended.Store(true)
	}
	s.auditP(ctx, EventSessionRevoked, p, map[string]any{"session_id": sid.String()})
	return nil
}

// RevokeOtherSessions ends every session of the caller but the current one and returns
// how many it ended. Errors: AUTHENTICATION_FAILED.
func (s *Service) RevokeOtherSessions(ctx context.Context, p *Principal) (int, error) {
	if p == nil {
		return 0, errAuthRequired()
	}
	now := s.now()
	n, err := s.db.Session.Update().Where(session.UserID(p.UserID), session.IDNEQ(p.SessionID),
		session.RevokedAtIsNil(), session.ExpiresAtGT(now)).SetRevokedAt(now).SetRevokeReason("revoked_by_user").Save(ctx)
	if err != nil {
		return 0, Internal(err)
	}
	s.auditP(ctx, EventOtherSessionsGone, p, map[string]any{"count": n})
	return n, nil
}
