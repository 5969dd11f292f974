package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/membership"
	"authbff/ent/session"
)

// Member is one member of an organization.
type Member struct {
	UserID   uuid.UUID
	Username string
	Email    string
	Role     Role
	JoinedAt time.Time
}

// PermOrgMembers is the permission to manage members (owners; admins for non-owners).
const PermOrgMembers = "org:members"

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
		fallback, err := s.loginOrg(ctx, tx, u)
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

// lastOwner reports whether m is the organization's only owner.
func lastOwner(ctx context.Context, tx *ent.Tx, m *ent.Membership) (bool, error) {
	if m.Role != membership.RoleOwner {
		return false, nil
	}
	n, err := tx.Membership.Query().Where(membership.OrgID(m.OrgID), membership.RoleEQ(membership.RoleOwner)).Count(ctx)
	return n <= 1, err
}

// addMember makes uid a member of org with role. Its callers create org in the same
// transaction (sign-up's personal workspace, a new organization), so the membership is
// always new; an invite that meets an existing membership is decided in invites.go.
func addMember(ctx context.Context, tx *ent.Tx, uid, org uuid.UUID, role membership.Role, now time.Time) error {
	return tx.Membership.Create().SetID(uuid.New()).SetUserID(uid).SetOrgID(org).SetRole(role).SetCreatedAt(now).Exec(ctx)
}
