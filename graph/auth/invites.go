package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/invite"
	"authbff/ent/membership"
	"authbff/ent/organization"
	"authbff/ent/user"
)

// InviteTTL is how long an invitation stays usable.
const InviteTTL = 7 * 24 * time.Hour

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

func inviteFromEnt(i *ent.Invite) *Invite {
	return &Invite{ID: i.ID, OrgID: i.OrgID, Email: i.Email, Role: Role(i.Role), InvitedBy: i.InvitedBy,
		CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

// CreateInviteInput is the create-invite form.
type CreateInviteInput struct {
	OrgID string
	Email string
	Role  Role
}

// CreateInviteForm declares CreateInviteInput's fields and rules.
var CreateInviteForm = newForm(
	text(FieldOrgID, nil, func(in *CreateInviteInput) *string { return &in.OrgID }),
	text(FieldEmail, emailRule, func(in *CreateInviteInput) *string { return &in.Email }),
	text(FieldRole, roleRule, func(in *CreateInviteInput) *Role { return &in.Role }),
)

// CreateInvite invites in.Email into in.OrgID with in.Role and mails the link
// {AUTH_FRONTEND_URL}/accept-invite?token=…; a pending invite of the same address is
// replaced. Owners and admins may invite; only owners may invite owners.
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, FORBIDDEN (details.required_permission
// org:invite or org:owner).
func (s *Service) CreateInvite(ctx context.Context, p *Principal, in CreateInviteInput) (*Invite, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if err := CreateInviteForm.Validate(&in); err != nil {
		return nil, err
	}
	org, err := uuid.Parse(in.OrgID)
	if err != nil {
		return nil, errForbidden(PermOrgInvite)
	}
	addr, role := in.Email, in.Role
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

// InviteInfo says whether an invitation token is usable and for which address. It never
// tells more for an unknown token than for a used one.
type InviteInfo struct {
	Email *string
	Valid bool
}

// InviteInfoInput is the invite-info form.
type InviteInfoInput struct {
	Token string
}

// InviteInfoForm declares InviteInfoInput's field.
var InviteInfoForm = newForm(
	text(FieldToken, nil, func(in *InviteInfoInput) *string { return &in.Token }),
)

// InviteInfo looks up an invitation token. Errors: VALIDATION_ERROR.
func (s *Service) InviteInfo(ctx context.Context, in InviteInfoInput) (*InviteInfo, error) {
	if err := InviteInfoForm.Validate(&in); err != nil {
		return nil, err
	}
	inv, err := usableInvite(ctx, s.db, in.Token, s.now())
	if err != nil {
		return nil, Internal(err)
	}
	if inv == nil {
		return &InviteInfo{}, nil
	}
	return &InviteInfo{Email: &inv.Email, Valid: true}, nil
}

// AcceptInviteInput is the accept-invite form.
type AcceptInviteInput struct {
	Token string
}

// AcceptInviteForm declares AcceptInviteInput's field.
var AcceptInviteForm = newForm(
	text(FieldToken, nil, func(in *AcceptInviteInput) *string { return &in.Token }),
)

// AcceptInvite joins the caller to the organization of an invitation addressed to the
// caller's e-mail. The invite is consumed atomically; an existing membership keeps its
// role. Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, INVALID_TOKEN (unknown, used,
// revoked or expired), FORBIDDEN (the invitation is for another address).
func (s *Service) AcceptInvite(ctx context.Context, p *Principal, in AcceptInviteInput) (*Membership, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if err := AcceptInviteForm.Validate(&in); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Membership
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		inv, err := usableInvite(ctx, tx.Client(), in.Token, now)
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

// usableInvite returns the pending invite for token, or nil when it is unknown,
// accepted, revoked or expired, or when its inviter no longer holds the authority it
// was made with.
//
// Authority that ends must end everywhere: an invitation carries its inviter's
// authority, so it is re-checked at every use (invite-info, acceptInvite, register with
// invite_token) instead of revoking invitations when that authority ends. The check
// covers every way it can end (removal from the organization, demotion, deactivation,
// the account gone) without each of those paths having to remember the invitations:
// the inviter must still be an active member of the organization who may grant the
// invited role (owners anything; admins admin and member).
func usableInvite(ctx context.Context, db *ent.Client, token string, now time.Time) (*ent.Invite, error) {
	inv, err := db.Invite.Query().Where(invite.TokenHash(hashToken(token)), invite.AcceptedAtIsNil(),
		invite.RevokedAtIsNil(), invite.ExpiresAtGT(now)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := inviterEntitled(ctx, db, inv)
	if err != nil || !ok {
		return nil, err
	}
	return inv, nil
}

// inviterEntitled reports whether inv's inviter could still make it today.
func inviterEntitled(ctx context.Context, db *ent.Client, inv *ent.Invite) (bool, error) {
	if inv.InvitedBy == nil {
		return false, nil
	}
	m, err := db.Membership.Query().Where(membership.UserID(*inv.InvitedBy), membership.OrgID(inv.OrgID),
		membership.HasUserWith(user.IsActive(true))).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch m.Role {
	case membership.RoleOwner:
		return true, nil
	case membership.RoleAdmin:
		return inv.Role != invite.RoleOwner, nil
	}
	return false, nil
}

// admitInvite is the invitation part of Register: with no token, nil (registration
// decides alone); with one, the usable invite for this address, or the refusal:
// FORBIDDEN while registration is closed (a bad invite does not open it),
// INVALID_TOKEN otherwise.
func (s *Service) admitInvite(ctx context.Context, tx *ent.Tx, token *string, email string, now time.Time) (*ent.Invite, error) {
	if token == nil || *token == "" {
		return nil, nil
	}
	inv, err := usableInvite(ctx, tx.Client(), *token, now)
	if err != nil {
		return nil, err
	}
	if inv == nil || inv.EmailKey != foldKey(email) {
		if !s.cfg.AllowRegistration {
			return nil, newError(CodeForbidden, MsgRegistrationOff)
		}
		return nil, newError(CodeInvalidToken, MsgInvalidInvite)
	}
	return inv, nil
}

// consumeInvite marks inv accepted and makes uid a member of its organization, under the
// organization's lock. It is the one path of both entries, AcceptInvite (a signed-in
// user) and Register (with an invite token), with one rule: an existing membership keeps
// its role (an invitation never promotes nor demotes a member; roles change through
// setMemberRole), otherwise the member gets the invited role. Errors: INVALID_TOKEN when
// the invite was accepted or revoked meanwhile.
func (s *Service) consumeInvite(ctx context.Context, tx *ent.Tx, inv *ent.Invite, uid uuid.UUID, now time.Time) (*ent.Membership, error) {
	if err := lockOrg(ctx, tx, inv.OrgID); err != nil {
		return nil, err
	}
	n, err := tx.Invite.Update().Where(invite.ID(inv.ID), invite.AcceptedAtIsNil(), invite.RevokedAtIsNil()).
		SetAcceptedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, newError(CodeInvalidToken, MsgInvalidInvite)
	}
	m, err := tx.Membership.Query().Where(membership.UserID(uid), membership.OrgID(inv.OrgID)).Only(ctx)
	if ent.IsNotFound(err) {
		m, err = tx.Membership.Create().SetID(uuid.New()).SetUserID(uid).SetOrgID(inv.OrgID).
			SetRole(membership.Role(inv.Role)).SetCreatedAt(now).Save(ctx)
	}
	return m, err
}

func roleRule(v string) (string, *FieldError) {
	if !Role(v).valid() {
		return "", &FieldError{Type: "enum", Msg: "Input should be 'owner', 'admin' or 'member'",
			Ctx: map[string]any{"expected": "'owner', 'admin' or 'member'"}}
	}
	return v, nil
}
