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
	"authbff/ent/membership"
	"authbff/ent/organization"
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

func orgFromEnt(o *ent.Organization) Organization {
	return Organization{ID: o.ID, Name: o.Name, Personal: o.Personal, CreatedAt: o.CreatedAt}
}

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

// CreateOrganizationInput is the create-organization form.
type CreateOrganizationInput struct {
	Name string
}

// CreateOrganizationForm declares CreateOrganizationInput's field (the name is trimmed).
var CreateOrganizationForm = newForm(
	text(FieldOrgName, orgNameRule, func(in *CreateOrganizationInput) *string { return &in.Name }),
)

// CreateOrganization creates an organization owned by the caller.
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR.
func (s *Service) CreateOrganization(ctx context.Context, p *Principal, in CreateOrganizationInput) (*Membership, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if err := CreateOrganizationForm.Validate(&in); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Membership
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		o, err := tx.Organization.Create().SetID(uuid.New()).SetName(in.Name).SetCreatedAt(now).Save(ctx)
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

// orgNameRule: 1–OrgNameMaxLen characters once trimmed, no control or format
// characters (names appear in invitation mails: no header or line injection, no bidi
// tricks).
func orgNameRule(v string) (string, *FieldError) {
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
	if _, fe := maxLenRule(OrgNameMaxLen)(t); fe != nil {
		return "", fe
	}
	return t, nil
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
// other per-user rules then see every concurrent change of that user. SQLite needs no
// lock and runs no statement (ent's version ran a plain SELECT there, which locked
// nothing more): its write transactions are IMMEDIATE, one at a time. A fixed
// statement (hotsql.go: every login runs it).
func (s *Service) lockUser(ctx context.Context, tx *ent.Tx, uid uuid.UUID) error {
	if s.hot.userLock == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.hot.userLock, uid)
	return err
}

// forUpdateOnPostgres makes a query SELECT … FOR UPDATE on PostgreSQL.
func forUpdateOnPostgres(s *entsql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}
