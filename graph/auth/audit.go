package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/auditevent"
)

// Audit event types.
const (
	EventRegistered        = "registered"
	EventLoginSucceeded    = "login_succeeded"
	EventLoginFailed       = "login_failed"
	EventAccountLocked     = "account_locked"
	EventLoggedOut         = "logged_out"
	EventRefreshReuse      = "refresh_reuse_detected"
	EventPasswordChanged   = "password_changed"
	EventPasswordReset     = "password_reset"
	EventEmailVerified     = "email_verified"
	EventInviteCreated     = "invite_created"
	EventInviteAccepted    = "invite_accepted"
	EventInviteRevoked     = "invite_revoked"
	EventOrgSwitched       = "organization_switched"
	EventRateLimited       = "rate_limited"
	EventSessionRevoked    = "session_revoked"
	EventOrgCreated        = "organization_created"
	EventOtherSessionsGone = "other_sessions_revoked"
	EventMemberRoleChanged = "member_role_changed"
	EventMemberRemoved     = "member_removed"
)

// AuditEventTypes lists every event type the service records, in the order the schema's
// AuditEventType enum declares them (a graph test checks they agree, and an auth test
// that every audit call names one of them).
var AuditEventTypes = []string{
	EventRegistered, EventLoginSucceeded, EventLoginFailed, EventLoggedOut, EventRefreshReuse,
	EventPasswordChanged, EventPasswordReset, EventEmailVerified, EventInviteCreated,
	EventInviteAccepted, EventInviteRevoked, EventOrgCreated, EventOrgSwitched,
	EventSessionRevoked, EventOtherSessionsGone, EventRateLimited, EventMemberRoleChanged,
	EventMemberRemoved, EventAccountLocked,
}

// AuditEvent is one recorded event, as the caller sees it.
type AuditEvent struct {
	ID        uuid.UUID
	Type      string
	SessionID *uuid.UUID
	IP        string
	UserAgent string
	Data      string // JSON object text
	CreatedAt time.Time
}

// audit records an event for uid (nil when no account is known) with facts that are
// never secret. It is best effort: a failure is logged, never returned, so that an
// audit hiccup cannot turn a login into an error.
func (s *Service) audit(ctx context.Context, typ string, uid *uuid.UUID, data map[string]any) {
	s.auditSession(ctx, typ, uid, nil, data)
}

func (s *Service) auditP(ctx context.Context, typ string, p *Principal, data map[string]any) {
	s.auditSession(ctx, typ, &p.UserID, &p.SessionID, data)
}

func (s *Service) auditSession(ctx context.Context, typ string, uid, sid *uuid.UUID, data map[string]any) {
	err := s.auditInsert(context.WithoutCancel(ctx), typ, s.db, uid, sid, data)
	if err != nil {
		s.cfg.Log.Error("audit: recording event", "type", typ, "err", err)
	}
}

// auditInsert records an audit event on ex (execer, upsert.go): the service's client,
// or a transaction, so that an event can commit with what it records (login: one
// commit, one fsync). A fixed statement (hotsql.go: every login runs it) writing every
// column ent's Create wrote.
func (s *Service) auditInsert(ctx context.Context, typ string, ex execer, uid, sid *uuid.UUID, data map[string]any) error {
	cl := ClientFrom(ctx)
	text := "{}"
	if len(data) > 0 {
		if b, err := json.Marshal(data); err == nil {
			text = string(b)
		}
	}
	_, err := ex.ExecContext(ctx, s.hot.auditInsert, uuid.New(), typ, nullID(uid), nullID(sid),
		truncate(cl.IP, 64), truncate(cl.UserAgent, 512), text, s.now())
	return err
}

type AuditPage struct {
	Events     []AuditEvent
	NextCursor *string // nil on the last page
}

// MaxAuditPage caps the page size.
const MaxAuditPage = 100

// AuditEvents lists the caller's own events, newest first, first at a time after the
// cursor of a previous page. Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR (a bad cursor
// or page size).
func (s *Service) AuditEvents(ctx context.Context, p *Principal, first int, after *string) (*AuditPage, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if first < 1 || first > MaxAuditPage {
		return nil, ValidationError(FieldError{Type: "less_than_equal", Field: FieldPageSize,
			Msg: "Input should be between 1 and 100", Input: first, Ctx: map[string]any{"le": MaxAuditPage}})
	}
	q := s.db.AuditEvent.Query().Where(auditevent.UserID(p.UserID))
	if after != nil && *after != "" {
		at, id, ok := decodeCursor(*after)
		if !ok {
			return nil, ValidationError(FieldError{Type: "value_error", Field: FieldPageAfter, Msg: "Value error, invalid cursor",
				Input: *after, Ctx: map[string]any{"error": map[string]any{}}})
		}
		q = q.Where(auditevent.Or(auditevent.CreatedAtLT(at),
			auditevent.And(auditevent.CreatedAt(at), auditevent.IDLT(id))))
	}
	rows, err := q.Order(ent.Desc(auditevent.FieldCreatedAt), ent.Desc(auditevent.FieldID)).Limit(first + 1).All(ctx)
	if err != nil {
		return nil, Internal(err)
	}
	page := &AuditPage{}
	if len(rows) > first {
		rows = rows[:first]
		c := encodeCursor(rows[len(rows)-1].CreatedAt, rows[len(rows)-1].ID)
		page.NextCursor = &c
	}
	for _, r := range rows {
		page.Events = append(page.Events, AuditEvent{ID: r.ID, Type: r.Type, SessionID: r.SessionID, IP: r.IP,
			UserAgent: r.UserAgent, Data: r.Data, CreatedAt: r.CreatedAt})
	}
	return page, nil
}

func encodeCursor(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
}

func decodeCursor(c string) (time.Time, uuid.UUID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, uuid.Nil, false
	}
	ts, idText, ok := strings.Cut(string(b), "|")
	t, err1 := time.Parse(time.RFC3339Nano, ts)
	id, err2 := uuid.Parse(idText)
	if !ok || err1 != nil || err2 != nil {
		return time.Time{}, uuid.Nil, false
	}
	return t, id, true
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.ToValidUTF8(s, "")
}
