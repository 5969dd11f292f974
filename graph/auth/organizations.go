package auth

import (
	"context"
	"strings"
	"time"
	"unicode"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/invite"
	"authbff/ent/membership"
	"authbff/ent/organization"
	"authbff/ent/session"
	"authbff/ent/user"
)

// Role is a member's role in an organization.
type Role string

// Roles, from most to least powerful. Only owners make owners; admins invite and manage
// members and admins.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

func (r Role) valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// InviteTTL is how long an invitation stays usable.
const InviteTTL = 7 * 24 * time.Hour

// Permissions named in FORBIDDEN details.required_permission.
const (
	PermOrgAccess = "org:access" // be a member
	PermOrgInvite = "org:invite" // owner or admin: invite, list and revoke invitations
	PermOrgOwner  = "org:owner"  // owner: make owners
)

// Organization is a workspace.
type Organization struct {
	ID        uuid.UUID
	Name      string
	Personal  bool
	CreatedAt time.Time
}

// Membership is the caller's place in an organization.
type Membership struct {
	Organization Organization
	Role         Role
	Active       bool // the organization of the caller's current session
}

// Invite is a pending invitation.
type Invite struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	Email     string
	Role      Role
	InvitedBy *uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
}

func orgFromEnt(o *ent.Organization) Organization {
	return Organization{ID: o.ID, Name: o.Name, Personal: o.Personal, CreatedAt: o.CreatedAt}
}

func inviteFromEnt(i *ent.Invite) *Invite {
	return &Invite{ID: i.ID, OrgID: i.OrgID, Email: i.Email, Role: Role(i.Role), InvitedBy: i.InvitedBy,
		CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

func (p *Principal) isActive(org uuid.UUID) bool { return p.OrgID != nil && *p.OrgID == org }

// Organizations lists the caller's memberships, oldest first. Errors: AUTHENTICATION_FAILED.
func (s *Service) Organizations(ctx context.Context, p *Principal) ([]Membership, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	ms, err := s.db.Membership.Query().Where(membership.UserID(p.UserID)).WithOrganization().
		Order(ent.Asc(membership.FieldCreatedAt), ent.Asc(membership.FieldID)).All(ctx)
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]Membership, len(ms))
	for i, m := range ms {
		out[i] = Membership{Organization: orgFromEnt(m.Edges.Organization), Role: Role(m.Role), Active: p.isActive(m.OrgID)}
	}
	return out, nil
}

// CreateOrganization creates an organization owned by the caller.
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR.
func (s *Service) CreateOrganization(ctx context.Context, p *Principal, name string) (*Membership, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	v, err := validate("createOrganization", Values{"name": name})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Membership
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		o, err := tx.Organization.Create().SetID(uuid.New()).SetName(v["name"]).SetCreatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if err := addMember(ctx, tx, p.UserID, o.ID, membership.RoleOwner, now); err != nil {
			return err
		}
		out = &Membership{Organization: orgFromEnt(o), Role: RoleOwner}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.auditP(ctx, EventOrgCreated, p, map[string]any{"org_id": out.Organization.ID.String()})
	return out, nil
}

// requireRole returns the caller's role in org if it is one of allowed; otherwise
// FORBIDDEN with the permission (non-members and unknown organizations alike).
func requireRole(ctx context.Context, q *ent.MembershipClient, uid, org uuid.UUID, perm string, allowed ...Role) (Role, error) {
	m, err := q.Query().Where(membership.UserID(uid), membership.OrgID(org)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", errForbidden(perm)
	}
	if err != nil {
		return "", err
	}
	for _, r := range allowed {
		if Role(m.Role) == r {
			return r, nil
		}
	}
	return "", errForbidden(perm)
}

// CreateInvite invites email into org with role and mails the link
// {AUTH_FRONTEND_URL}/accept-invite?token=…; a pending invite of the same address is
// replaced. Owners and admins may invite; only owners may invite owners.
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, FORBIDDEN (details.required_permission
// org:invite or org:owner).
func (s *Service) CreateInvite(ctx context.Context, p *Principal, orgID, email string, role Role) (*Invite, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	v, err := validate("createInvite", Values{"org_id": orgID, "email": email, "role": string(role)})
	if err != nil {
		return nil, err
	}
	org, err := uuid.Parse(orgID)
	if err != nil {
		return nil, errForbidden(PermOrgInvite)
	}
	addr := v["email"]
	if err := s.take(ctx, LimitInviteIP, client(ctx)); err != nil {
		return nil, err
	}
	if err := s.take(ctx, LimitInviteAddress, foldKey(addr)); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Invite
	create := func(tx *ent.Tx) error {
		// Invitations of one organization are made one at a time (PostgreSQL): replacing
		// the pending invite of an address reads, then writes, and concurrent requests
		// would otherwise race for the pending-invite index.
		if err := lockOrg(ctx, tx, org); err != nil {
			return err
		}
		mine, err := requireRole(ctx, tx.Membership, p.UserID, org, PermOrgInvite, RoleOwner, RoleAdmin)
		if err != nil {
			return err
		}
		if role == RoleOwner && mine != RoleOwner {
			return errForbidden(PermOrgOwner)
		}
		o, err := tx.Organization.Get(ctx, org)
		if err != nil {
			return err
		}
		if err := tx.Invite.Update().Where(invite.OrgID(org), invite.EmailKey(foldKey(addr)), invite.AcceptedAtIsNil(),
			invite.RevokedAtIsNil()).SetRevokedAt(now).Exec(ctx); err != nil {
			return err
		}
		tok, err := newOpaqueToken(s.cfg.Rand)
		if err != nil {
			return err
		}
		inv, err := tx.Invite.Create().SetID(uuid.New()).SetOrgID(org).SetEmail(addr).SetEmailKey(foldKey(addr)).
			SetRole(invite.Role(role)).SetTokenHash(hashToken(tok)).SetInvitedBy(p.UserID).
			SetCreatedAt(now).SetExpiresAt(now.Add(InviteTTL)).Save(ctx)
		if err != nil {
			return err
		}
		out = inviteFromEnt(inv)
		return s.enqueueMail(ctx, tx, MailInvite, addr, mailData{OrgName: mailSafe(o.Name), Role: string(role),
			Link: s.link("/accept-invite", tok)}, now)
	}
	err = s.inTx(ctx, create)
	if isConstraint(err) {
		// A concurrent invitation of the same address won the pending-invite index: run
		// again, replacing it.
		err = s.inTx(ctx, create)
	}
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	s.auditP(ctx, EventInviteCreated, p, map[string]any{"org_id": org.String(), "invite_id": out.ID.String(), "role": string(role)})
	return out, nil
}

// Invites lists the pending invitations of org, newest first.
// Errors: AUTHENTICATION_FAILED, FORBIDDEN (org:invite).
func (s *Service) Invites(ctx context.Context, p *Principal, orgID string) ([]*Invite, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	org, err := uuid.Parse(orgID)
	if err != nil {
		return nil, errForbidden(PermOrgInvite)
	}
	if _, err := requireRole(ctx, s.db.Membership, p.UserID, org, PermOrgInvite, RoleOwner, RoleAdmin); err != nil {
		return nil, Internal(err) // an *Error passes through unchanged
	}
	rows, err := s.db.Invite.Query().Where(invite.OrgID(org), invite.AcceptedAtIsNil(), invite.RevokedAtIsNil(),
		invite.ExpiresAtGT(s.now())).Order(ent.Desc(invite.FieldCreatedAt), ent.Desc(invite.FieldID)).All(ctx)
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]*Invite, len(rows))
	for i, r := range rows {
		out[i] = inviteFromEnt(r)
	}
	return out, nil
}

// RevokeInvite withdraws a pending invitation. An unknown id, or one of an organization
// the caller cannot manage, is FORBIDDEN alike. Errors: AUTHENTICATION_FAILED,
// FORBIDDEN (org:invite), INVALID_TOKEN (already accepted or revoked).
func (s *Service) RevokeInvite(ctx context.Context, p *Principal, id string) error {
	if p == nil {
		return errAuthRequired()
	}
	iid, err := uuid.Parse(id)
	if err != nil {
		return errForbidden(PermOrgInvite)
	}
	var org uuid.UUID
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		inv, err := tx.Invite.Get(ctx, iid)
		if ent.IsNotFound(err) {
			return errForbidden(PermOrgInvite)
		}
		if err != nil {
			return err
		}
		if _, err := requireRole(ctx, tx.Membership, p.UserID, inv.OrgID, PermOrgInvite, RoleOwner, RoleAdmin); err != nil {
			return err
		}
		n, err := tx.Invite.Update().Where(invite.ID(iid), invite.AcceptedAtIsNil(), invite.RevokedAtIsNil()).
			SetRevokedAt(s.now()).Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			return newError(CodeInvalidToken, MsgInvalidInvite)
		}
		org = inv.OrgID
		return nil
	})
	if err != nil {
		return err
	}
	s.auditP(ctx, EventInviteRevoked, p, map[string]any{"org_id": org.String(), "invite_id": iid.String()})
	return nil
}

// AcceptInvite joins the caller to the organization of an invitation addressed to the
// caller's e-mail. The invite is consumed atomically; an existing membership keeps its
// role. Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, INVALID_TOKEN (unknown, used,
// revoked or expired), FORBIDDEN (the invitation is for another address).
func (s *Service) AcceptInvite(ctx context.Context, p *Principal, token string) (*Membership, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if _, err := validate("acceptInvite", Values{"token": token}); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Membership
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		inv, err := usableInvite(ctx, tx.Client(), token, now)
		if err != nil {
			return err
		}
		if inv == nil {
			return newError(CodeInvalidToken, MsgInvalidInvite)
		}
		if inv.EmailKey != foldKey(p.user.Email) {
			return &Error{Code: CodeForbidden, Message: "This invitation is for another e-mail address",
				Details: map[string]any{"required_permission": "invite:accept"}}
		}
		m, err := s.consumeInvite(ctx, tx, inv, p.UserID, now)
		if err != nil {
			return err
		}
		o, err := tx.Organization.Query().Where(organization.ID(inv.OrgID)).Only(ctx)
		if err != nil {
			return err
		}
		out = &Membership{Organization: orgFromEnt(o), Role: Role(m.Role), Active: p.isActive(o.ID)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.auditP(ctx, EventInviteAccepted, p, map[string]any{"org_id": out.Organization.ID.String()})
	return out, nil
}

// orgNameRule: 1–OrgNameMaxLen characters once trimmed, no control or format
// characters (names appear in invitation mails: no header or line injection, no bidi
// tricks).
func orgNameRule(_, v string) (string, *FieldError) {
	t := strings.TrimSpace(v)
	if t == "" {
		return "", tooShort(1)
	}
	if strings.IndexFunc(t, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.In(r, unicode.Zl, unicode.Zp)
	}) >= 0 {
		return "", valueError(ReasonOrgNameControls)
	}
	if _, fe := maxLenRule(OrgNameMaxLen)("name", t); fe != nil {
		return "", fe
	}
	return t, nil
}

func roleRule(_, v string) (string, *FieldError) {
	if !Role(v).valid() {
		return "", &FieldError{Type: "enum", Msg: "Input should be 'owner', 'admin' or 'member'",
			Ctx: map[string]any{"expected": "'owner', 'admin' or 'member'"}}
	}
	return v, nil
}

// Member is one member of an organization.
type Member struct {
	UserID   uuid.UUID
	Username string
	Email    string
	Role     Role
	JoinedAt time.Time
}

// Members lists an organization's members, oldest first. Any member may list them.
// Errors: AUTHENTICATION_FAILED, FORBIDDEN (org:access).
func (s *Service) Members(ctx context.Context, p *Principal, orgID string) ([]Member, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	org, err := uuid.Parse(orgID)
	if err != nil {
		return nil, errForbidden(PermOrgAccess)
	}
	if _, err := requireRole(ctx, s.db.Membership, p.UserID, org, PermOrgAccess, RoleOwner, RoleAdmin, RoleMember); err != nil {
		return nil, Internal(err)
	}
	rows, err := s.db.Membership.Query().Where(membership.OrgID(org)).WithUser().
		Order(ent.Asc(membership.FieldCreatedAt), ent.Asc(membership.FieldID)).All(ctx)
	if err != nil {
		return nil, Internal(err)
	}
	out := make([]Member, len(rows))
	for i, m := range rows {
		out[i] = Member{UserID: m.UserID, Username: m.Edges.User.Username, Email: m.Edges.User.Email, Role: Role(m.Role),
			JoinedAt: m.CreatedAt}
	}
	return out, nil
}

// manageMember loads the caller's and the target's memberships of org in tx and checks
// that the caller may manage the target: owners manage everyone, admins manage admins
// and members (never owners); anyone may act on themselves where the operation allows.
func manageMember(ctx context.Context, tx *ent.Tx, p *Principal, org, target uuid.UUID) (mine Role, theirs *ent.Membership, err error) {
	if err := lockOrg(ctx, tx, org); err != nil {
		return "", nil, err
	}
	mine, err = requireRole(ctx, tx.Membership, p.UserID, org, PermOrgMembers, RoleOwner, RoleAdmin, RoleMember)
	if err != nil {
		return "", nil, err
	}
	theirs, err = tx.Membership.Query().Where(membership.UserID(target), membership.OrgID(org)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil, newError(CodeNotFound, "Member not found")
	}
	return mine, theirs, err
}

// PermOrgMembers is the permission to manage members (owners; admins for non-owners).
const PermOrgMembers = "org:members"

// lastOwner reports whether m is the organization's only owner.
func lastOwner(ctx context.Context, tx *ent.Tx, m *ent.Membership) (bool, error) {
	if m.Role != membership.RoleOwner {
		return false, nil
	}
	n, err := tx.Membership.Query().Where(membership.OrgID(m.OrgID), membership.RoleEQ(membership.RoleOwner)).Count(ctx)
	return n <= 1, err
}

// SetMemberRole changes a member's role. Only owners make or unmake owners; admins may
// change admins and members. The last owner cannot be demoted.
// Errors: AUTHENTICATION_FAILED, FORBIDDEN (org:members, org:owner), NOT_FOUND, CONFLICT.
func (s *Service) SetMemberRole(ctx context.Context, p *Principal, orgID, userID string, role Role) (*Member, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	org, err1 := uuid.Parse(orgID)
	target, err2 := uuid.Parse(userID)
	if err1 != nil || err2 != nil || !role.valid() {
		return nil, errForbidden(PermOrgMembers)
	}
	var out *Member
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		mine, theirs, err := manageMember(ctx, tx, p, org, target)
		if err != nil {
			return err
		}
		switch {
		case mine == RoleMember:
			return errForbidden(PermOrgMembers)
		case mine == RoleAdmin && (theirs.Role == membership.RoleOwner || role == RoleOwner):
			return errForbidden(PermOrgOwner)
		}
		if role != RoleOwner {
			if last, err := lastOwner(ctx, tx, theirs); err != nil {
				return err
			} else if last {
				return &Error{Code: CodeConflict, Message: "An organization must keep at least one owner",
					Details: map[string]any{"field": "role"}}
			}
		}
		m, err := tx.Membership.UpdateOne(theirs).SetRole(membership.Role(role)).Save(ctx)
		if err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, target)
		if err != nil {
			return err
		}
		out = &Member{UserID: target, Username: u.Username, Email: u.Email, Role: role, JoinedAt: m.CreatedAt}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.auditP(ctx, EventMemberRoleChanged, p, map[string]any{"org_id": org.String(), "user_id": target.String(), "role": string(role)})
	return out, nil
}

// RemoveMember takes a user out of an organization (or lets a member leave it). It takes
// effect at once: the member's sessions in that organization fall back to their personal
// workspace, their access tokens naming it stop working, and switch-org into it answers
// 403. Owners remove anyone; admins remove admins and members; the last owner stays.
// Errors: AUTHENTICATION_FAILED, FORBIDDEN (org:members, org:owner), NOT_FOUND, CONFLICT.
func (s *Service) RemoveMember(ctx context.Context, p *Principal, orgID, userID string) error {
	if p == nil {
		return errAuthRequired()
	}
	org, err1 := uuid.Parse(orgID)
	target, err2 := uuid.Parse(userID)
	if err1 != nil || err2 != nil {
		return errForbidden(PermOrgMembers)
	}
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		mine, theirs, err := manageMember(ctx, tx, p, org, target)
		if err != nil {
			return err
		}
		self := target == p.UserID
		switch {
		case self:
		case mine == RoleMember:
			return errForbidden(PermOrgMembers)
		case mine == RoleAdmin && theirs.Role == membership.RoleOwner:
			return errForbidden(PermOrgOwner)
		}
		if last, err := lastOwner(ctx, tx, theirs); err != nil {
			return err
		} else if last {
			return &Error{Code: CodeConflict, Message: "An organization must keep at least one owner",
				Details: map[string]any{"field": "role"}}
		}
		if err := tx.Membership.DeleteOne(theirs).Exec(ctx); err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, target)
		if err != nil {
			return err
		}
		fallback, err := loginOrg(ctx, tx, u)
		if err != nil {
			return err
		}
		upd := tx.Session.Update().Where(session.UserID(target), session.OrgID(org))
		if fallback != nil {
			upd.SetOrgID(*fallback)
		} else {
			upd.ClearOrgID()
		}
		return upd.Exec(ctx)
	})
	if err != nil {
		return err
	}
	s.auditP(ctx, EventMemberRemoved, p, map[string]any{"org_id": org.String(), "user_id": target.String()})
	return nil
}

// lockOrg takes the organization's row lock for the rest of tx (PostgreSQL): every
// membership change of one organization runs one at a time, so that rules reading
// several memberships (the last owner stays) hold when two requests race, on one
// replica or several. Under READ COMMITTED, statements after the lock see what the
// previous holder committed. SQLite needs no lock: its write transactions are
// IMMEDIATE, one at a time.
func lockOrg(ctx context.Context, tx *ent.Tx, org uuid.UUID) error {
	q := tx.Organization.Query().Where(organization.ID(org))
	q.Modify(forUpdateOnPostgres)
	_, err := q.IDs(ctx)
	return err
}

// lockUser takes a user's row lock for the rest of tx (PostgreSQL): the session cap and
// other per-user rules then see every concurrent change of that user.
func lockUser(ctx context.Context, tx *ent.Tx, uid uuid.UUID) error {
	q := tx.User.Query().Where(user.ID(uid))
	q.Modify(forUpdateOnPostgres)
	_, err := q.IDs(ctx)
	return err
}

// forUpdateOnPostgres makes a query SELECT … FOR UPDATE on PostgreSQL.
func forUpdateOnPostgres(s *entsql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}
