package auth

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/auditevent"
	"authbff/ent/invite"
	"authbff/ent/mail"
	"authbff/ent/membership"
	"authbff/ent/onetimetoken"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
	"authbff/ent/user"
)

// Account administration for operators and support (`authbff users …`). There is no
// API for these on purpose: they act on any account.

// AccountSummary is one line of a listing.
type AccountSummary struct {
	ID        uuid.UUID  `json:"id"`
	Email     string     `json:"email"`
	Username  string     `json:"username"`
	Active    bool       `json:"is_active"`
	Verified  bool       `json:"is_verified"`
	Roles     []string   `json:"roles"`
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login"`
}

func summaryFromEnt(u *ent.User) AccountSummary {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return AccountSummary{ID: u.ID, Email: u.Email, Username: u.Username, Active: u.IsActive, Verified: u.IsVerified,
		Roles: roles, CreatedAt: u.CreatedAt, LastLogin: u.LastLogin}
}

// AccountFilter selects a page of accounts: Prefix matches the start of the e-mail or
// the username, ignoring case; Limit is capped at MaxAccountPage.
type AccountFilter struct {
	Prefix string
	Limit  int
	Offset int
}

// MaxAccountPage caps a listing page.
const MaxAccountPage = 1000

// ListAccounts returns a page of accounts, oldest first, and how many match in all.
func (s *Service) ListAccounts(ctx context.Context, f AccountFilter) ([]AccountSummary, int, error) {
	if f.Limit <= 0 || f.Limit > MaxAccountPage {
		f.Limit = min(max(f.Limit, 50), MaxAccountPage)
	}
	q := s.db.User.Query()
	if p := foldKey(strings.TrimSpace(f.Prefix)); p != "" {
		q = q.Where(user.Or(user.EmailKeyHasPrefix(p), user.UsernameKeyHasPrefix(p)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, err
	}
	us, err := q.Order(ent.Asc(user.FieldCreatedAt), ent.Asc(user.FieldID)).Offset(max(f.Offset, 0)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]AccountSummary, len(us))
	for i, u := range us {
		out[i] = summaryFromEnt(u)
	}
	return out, total, nil
}

// MembershipInfo is one organization an account belongs to.
type MembershipInfo struct {
	OrgID    uuid.UUID `json:"org_id"`
	OrgName  string    `json:"org_name"`
	Personal bool      `json:"personal"`
	Role     string    `json:"role"`
	Since    time.Time `json:"since"`
}

// AccountSession is one session of an account.
type AccountSession struct {
	ID           uuid.UUID  `json:"id"`
	OrgID        *uuid.UUID `json:"org_id"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   time.Time  `json:"last_used_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	IP           string     `json:"ip"`
	UserAgent    string     `json:"user_agent"`
}

func accountSession(x *ent.Session) AccountSession {
	return AccountSession{ID: x.ID, OrgID: x.OrgID, CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsedAt, ExpiresAt: x.ExpiresAt,
		RevokedAt: x.RevokedAt, RevokeReason: x.RevokeReason, IP: x.IP, UserAgent: x.UserAgent}
}

// AccountDetails is what `users show` prints.
type AccountDetails struct {
	AccountSummary
	FullName     *string          `json:"full_name"`
	HasPassword  bool             `json:"has_password"`
	FailedLogins int              `json:"failed_logins"`
	LockedOut    bool             `json:"locked_out"` // password login disabled until a reset
	Memberships  []MembershipInfo `json:"memberships"`
	LiveSessions []AccountSession `json:"live_sessions"`
}

// ShowAccount returns an account with its memberships, live sessions and lockout state.
// Errors: NOT_FOUND.
func (s *Service) ShowAccount(ctx context.Context, identifier string) (*AccountDetails, error) {
	u, err := findAccount(ctx, s.db.User, identifier)
	if err != nil {
		return nil, err
	}
	ms, err := s.memberships(ctx, s.db, u.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	live, err := s.db.Session.Query().Where(session.UserID(u.ID), session.RevokedAtIsNil(), session.ExpiresAtGT(now),
		session.HasRefreshTokensWith(refreshtoken.RotatedAtIsNil(), refreshtoken.ExpiresAtGT(now))).
		Order(ent.Desc(session.FieldLastUsedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	d := &AccountDetails{AccountSummary: summaryFromEnt(u), FullName: u.FullName,
		HasPassword: u.PasswordHash != nil && *u.PasswordHash != "", FailedLogins: u.FailedLogins,
		LockedOut: u.FailedLogins >= s.cfg.LockoutThreshold, Memberships: ms, LiveSessions: []AccountSession{}}
	for _, x := range live {
		d.LiveSessions = append(d.LiveSessions, accountSession(x))
	}
	return d, nil
}

func (s *Service) memberships(ctx context.Context, db *ent.Client, uid uuid.UUID) ([]MembershipInfo, error) {
	ms, err := db.Membership.Query().Where(membership.UserID(uid)).WithOrganization().
		Order(ent.Asc(membership.FieldCreatedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := []MembershipInfo{}
	for _, m := range ms {
		mi := MembershipInfo{OrgID: m.OrgID, Role: string(m.Role), Since: m.CreatedAt}
		if o := m.Edges.Organization; o != nil {
			mi.OrgName, mi.Personal = o.Name, o.Personal
		}
		out = append(out, mi)
	}
	return out, nil
}

// CreateAccountInput is what an operator gives `users create`.
type CreateAccountInput struct {
	Email    string
	Username string
	Password string
	Verified bool     // false: a verification mail is queued, as at registration
	Roles    []string // global roles; empty: ["user"]
}

// CreateAccountForm declares CreateAccountInput's field rules: registration's (and its
// password-equals-identity check); the roles are checked by CreateAccount.
var CreateAccountForm = newForm(
	text(FieldEmail, emailRule, func(in *CreateAccountInput) *string { return &in.Email }),
	text(FieldUsername, usernameRule, func(in *CreateAccountInput) *string { return &in.Username }),
	text(FieldPassword, newPasswordRule, func(in *CreateAccountInput) *string { return &in.Password }),
).also(registerIdentity)

var globalRoleRE = regexp.MustCompile(`^[a-z][a-z0-9_:-]{0,31}$`)

// CreateAccount creates an account as registration does (same field rules and password
// policy, a personal workspace), without a session.
// Errors: VALIDATION_ERROR, CONFLICT (details.field), SERVICE_UNAVAILABLE.
func (s *Service) CreateAccount(ctx context.Context, in CreateAccountInput) (*AccountSummary, error) {
	if err := CreateAccountForm.Validate(&in); err != nil {
		return nil, err
	}
	roles := in.Roles
	if len(roles) == 0 {
		roles = []string{"user"}
	}
	for _, r := range roles {
		if !globalRoleRE.MatchString(r) {
			return nil, &Error{Code: CodeValidation, Message: "Invalid role",
				Fields: []FieldError{{Type: "value_error", Field: FieldGlobalRoles, Input: r, Msg: "a role is 1-32 characters: a-z, 0-9, _ : - (starting with a letter): " + r}}}
		}
	}
	email, username := in.Email, in.Username
	hash, err := s.hash.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out AccountSummary
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		u, _, err := createAccount(ctx, tx, newAccount{email: email, username: username, hash: hash,
			roles: roles, verified: in.Verified}, now)
		if err != nil {
			return err
		}
		if !in.Verified {
			if err := s.sendVerification(ctx, tx, u, now); err != nil {
				return err
			}
		}
		out = summaryFromEnt(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	s.audit(context.WithoutCancel(ctx), EventRegistered, &out.ID, map[string]any{"by": "operator"})
	return &out, nil
}

// AccountExport is everything held about one account (the GDPR access request). Secrets
// (password hash, token hashes, mail bodies with live links) are never included; their
// existence is.
type AccountExport struct {
	ExportedAt     time.Time        `json:"exported_at"`
	Account        AccountProfile   `json:"account"`
	FailedLogins   int              `json:"failed_logins"`
	Memberships    []MembershipInfo `json:"memberships"`
	Sessions       []AccountSession `json:"sessions"`
	OneTimeTokens  []TokenInfo      `json:"one_time_tokens"`
	InvitesSent    []AccountInvite  `json:"invites_sent"`
	InvitesToEmail []AccountInvite  `json:"invites_received"`
	Mails          []MailInfo       `json:"mails"`
	AuditEvents    []ExportedEvent  `json:"audit_events"`
}

// AccountProfile is the account row as exported (never the password hash).
type AccountProfile struct {
	ID                 uuid.UUID  `json:"id"`
	Email              string     `json:"email"`
	Username           string     `json:"username"`
	FullName           *string    `json:"full_name"`
	AuthProvider       string     `json:"auth_provider"`
	IsActive           bool       `json:"is_active"`
	IsVerified         bool       `json:"is_verified"`
	Roles              []string   `json:"roles"`
	AvatarURL          *string    `json:"avatar_url"`
	Bio                *string    `json:"bio"`
	Timezone           *string    `json:"timezone"`
	Locale             *string    `json:"locale"`
	Preferences        string     `json:"preferences"` // JSON object text, as stored
	Settings           string     `json:"settings"`    // JSON object text, as stored
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	LastLogin          *time.Time `json:"last_login"`
	DefaultWorkspaceID *uuid.UUID `json:"default_workspace_id"`
	HasPassword        bool       `json:"has_password"`
}

// ExportedEvent is an audit event as exported.
type ExportedEvent struct {
	ID        uuid.UUID  `json:"id"`
	Type      string     `json:"type"`
	SessionID *uuid.UUID `json:"session_id"`
	IP        string     `json:"ip"`
	UserAgent string     `json:"user_agent"`
	Data      string     `json:"data"` // JSON object text
	CreatedAt time.Time  `json:"created_at"`
}

// TokenInfo is a verification or reset token, without the token.
type TokenInfo struct {
	Kind      string     `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
}

// AccountInvite is an invitation, without its token.
type AccountInvite struct {
	ID         uuid.UUID  `json:"id"`
	OrgID      uuid.UUID  `json:"org_id"`
	Email      string     `json:"email"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// MailInfo is an outbox message to the account's address, without its body.
type MailInfo struct {
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
}

// ExportAccount gathers everything held about an account. Errors: NOT_FOUND.
func (s *Service) ExportAccount(ctx context.Context, identifier string) (*AccountExport, error) {
	u, err := findAccount(ctx, s.db.User, identifier)
	if err != nil {
		return nil, err
	}
	p := userFromEnt(u)
	x := &AccountExport{ExportedAt: s.now(), FailedLogins: u.FailedLogins,
		Account: AccountProfile{ID: p.ID, Email: p.Email, Username: p.Username, FullName: p.FullName,
			AuthProvider: p.AuthProvider, IsActive: p.IsActive, IsVerified: p.IsVerified, Roles: p.Roles,
			AvatarURL: p.AvatarURL, Bio: p.Bio, Timezone: p.Timezone, Locale: p.Locale, Preferences: p.Preferences,
			Settings: p.Settings, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, LastLogin: p.LastLogin,
			DefaultWorkspaceID: p.DefaultWorkspaceID, HasPassword: p.HasPassword},
		Sessions: []AccountSession{}, OneTimeTokens: []TokenInfo{}, InvitesSent: []AccountInvite{}, InvitesToEmail: []AccountInvite{},
		Mails: []MailInfo{}, AuditEvents: []ExportedEvent{}}
	if x.Memberships, err = s.memberships(ctx, s.db, u.ID); err != nil {
		return nil, err
	}
	ss, err := s.db.Session.Query().Where(session.UserID(u.ID)).Order(ent.Asc(session.FieldCreatedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range ss {
		x.Sessions = append(x.Sessions, accountSession(v))
	}
	ts, err := s.db.OneTimeToken.Query().Where(onetimetoken.UserID(u.ID)).Order(ent.Asc(onetimetoken.FieldCreatedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range ts {
		x.OneTimeTokens = append(x.OneTimeTokens, TokenInfo{Kind: string(v.Kind), CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt, UsedAt: v.UsedAt})
	}
	invs, err := s.db.Invite.Query().Where(invite.Or(invite.InvitedBy(u.ID), invite.EmailKey(u.EmailKey))).
		Order(ent.Asc(invite.FieldCreatedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range invs {
		ii := AccountInvite{ID: v.ID, OrgID: v.OrgID, Email: v.Email, Role: string(v.Role), CreatedAt: v.CreatedAt,
			ExpiresAt: v.ExpiresAt, AcceptedAt: v.AcceptedAt, RevokedAt: v.RevokedAt}
		if v.InvitedBy != nil && *v.InvitedBy == u.ID {
			x.InvitesSent = append(x.InvitesSent, ii)
		}
		if v.EmailKey == u.EmailKey {
			x.InvitesToEmail = append(x.InvitesToEmail, ii)
		}
	}
	mails, err := s.db.Mail.Query().Where(mail.ToEqualFold(u.Email)).Order(ent.Asc(mail.FieldCreatedAt)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range mails {
		x.Mails = append(x.Mails, MailInfo{Kind: v.Kind, To: v.To, Subject: v.Subject, Status: string(v.Status),
			CreatedAt: v.CreatedAt, SentAt: v.SentAt})
	}
	evs, err := s.db.AuditEvent.Query().Where(auditevent.UserID(u.ID)).
		Order(ent.Asc(auditevent.FieldCreatedAt), ent.Asc(auditevent.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		x.AuditEvents = append(x.AuditEvents, ExportedEvent{ID: e.ID, Type: e.Type, SessionID: e.SessionID, IP: e.IP,
			UserAgent: e.UserAgent, Data: e.Data, CreatedAt: e.CreatedAt})
	}
	return x, nil
}
