package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
)

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
