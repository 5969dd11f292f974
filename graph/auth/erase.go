package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/auditevent"
	"authbff/ent/invite"
	"authbff/ent/mail"
	"authbff/ent/membership"
	"authbff/ent/onetimetoken"
	"authbff/ent/organization"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
)

// EventAccountDeleted is recorded, with no IP or user agent, when an account is erased.
const EventAccountDeleted = "account_deleted"

// DeleteAccountInput is the delete-account form.
type DeleteAccountInput struct {
	CurrentPassword string
}

// DeleteAccountForm declares DeleteAccountInput's field: bounded, checked as set.
var DeleteAccountForm = newForm(
	text(FieldCurrentPassword, maxLenRule(PasswordMaxLen), func(in *DeleteAccountInput) *string { return &in.CurrentPassword }),
)

// DeleteAccount erases the signed-in user's account after checking the current password
// (the same checks and limits as change-password; a wrong one counts as a failed login).
// Errors: AUTHENTICATION_FAILED, VALIDATION_ERROR, RATE_LIMIT_EXCEEDED, INVALID_PASSWORD,
// CONFLICT (the only owner of an organization with other members), SERVICE_UNAVAILABLE.
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, in DeleteAccountInput) error {
	if p == nil {
		return errAuthRequired()
	}
	if err := DeleteAccountForm.Validate(&in); err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, p, in.CurrentPassword); err != nil {
		return err
	}
	if err := s.erase(ctx, p.user, "self"); err != nil {
		return err
	}
	p.ended.Store(true) // nothing else in this request may act for the erased account
	return nil
}

// EraseAccount erases an account for an operator (`authbff users delete`).
// Errors: NOT_FOUND, CONFLICT (the only owner of an organization with other members).
func (s *Service) EraseAccount(ctx context.Context, identifier string) error {
	u, err := findAccount(ctx, s.db.User, identifier)
	if err != nil {
		return err
	}
	return s.erase(ctx, u, "operator")
}

// erase removes everything that belongs to u in one transaction: sessions and their
// refresh tokens, one-time tokens, memberships, the organizations where u is the only
// member (its personal workspace), invitations u made that are still pending and every
// invitation addressed to u's e-mail, the outbox rows addressed to it, and the account
// itself. u's audit events stay, anonymized: IP and user agent are cleared (they never
// hold an e-mail). Invitations u made that were accepted or revoked stay without the
// link to u. An account that is the only owner of an organization with other members is
// refused (CONFLICT): ownership must be transferred first, or the members would be left
// with an organization nobody can administer.
func (s *Service) erase(ctx context.Context, u *ent.User, by string) error {
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		ms, err := tx.Membership.Query().Where(membership.UserID(u.ID)).WithOrganization().All(ctx)
		if err != nil {
			return err
		}
		var orphaned []uuid.UUID
		for _, m := range ms {
			others, err := tx.Membership.Query().Where(membership.OrgID(m.OrgID), membership.UserIDNEQ(u.ID)).Count(ctx)
			if err != nil {
				return err
			}
			if others == 0 {
				orphaned = append(orphaned, m.OrgID)
				continue
			}
			if m.Role != membership.RoleOwner {
				continue
			}
			owners, err := tx.Membership.Query().Where(membership.OrgID(m.OrgID), membership.UserIDNEQ(u.ID),
				membership.RoleEQ(membership.RoleOwner)).Count(ctx)
			if err != nil {
				return err
			}
			if owners == 0 {
				name := ""
				if m.Edges.Organization != nil {
					name = m.Edges.Organization.Name
				}
				return &Error{Code: CodeConflict,
					Message: fmt.Sprintf("The account is the only owner of the organization %q, which has other members: make another member an owner first", name),
					Details: map[string]any{"field": "org_id", "org_id": m.OrgID.String()}}
			}
		}
		mine := session.UserID(u.ID)
		if _, err := tx.RefreshToken.Delete().Where(refreshtoken.HasSessionWith(mine)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Session.Delete().Where(mine).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.OneTimeToken.Delete().Where(onetimetoken.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Membership.Delete().Where(membership.UserID(u.ID)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Invite.Delete().Where(invite.Or(
			invite.And(invite.InvitedBy(u.ID), invite.AcceptedAtIsNil(), invite.RevokedAtIsNil()),
			invite.EmailKey(u.EmailKey),
			invite.OrgIDIn(orphaned...),
		)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Invite.Update().Where(invite.InvitedBy(u.ID)).ClearInvitedBy().Exec(ctx); err != nil {
			return err
		}
		if len(orphaned) > 0 {
			// Other users' sessions cannot point at an organization they are not in, but a
			// stale pointer must not survive the organization either.
			if err := tx.Session.Update().Where(session.OrgIDIn(orphaned...)).ClearOrgID().Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.Organization.Delete().Where(organization.IDIn(orphaned...)).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.Mail.Delete().Where(mail.ToEqualFold(u.Email)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.AuditEvent.Update().Where(auditevent.UserID(u.ID)).SetIP("").SetUserAgent("").Exec(ctx); err != nil {
			return err
		}
		if err := tx.User.DeleteOneID(u.ID).Exec(ctx); err != nil {
			return err
		}
		return tx.AuditEvent.Create().SetID(uuid.New()).SetType(EventAccountDeleted).SetUserID(u.ID).
			SetData(`{"by":"` + by + `"}`).SetCreatedAt(s.now()).Exec(ctx)
	})
	return err
}
