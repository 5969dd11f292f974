package auth

import (
	"context"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/membership"
	"authbff/ent/session"
)

// SwitchResult is what switch-org answers: a new access token for the same session.
type SwitchResult struct {
	AccessToken string
	TokenType   string
	ExpiresIn   int
	OrgID       uuid.UUID
}

// SwitchOrgInput is the switch-org form.
type SwitchOrgInput struct {
	OrgID string
}

// SwitchOrgForm declares SwitchOrgInput's field.
var SwitchOrgForm = newForm(
	text(FieldOrgID, nil, func(in *SwitchOrgInput) *string { return &in.OrgID }),
)

// SwitchOrg makes org the session's active organization (the org claim of its access
// tokens, kept across refreshes). Errors: AUTHENTICATION_FAILED, FORBIDDEN
// (details.required_permission "org:access": not a member, or no such organization).
func (s *Service) SwitchOrg(ctx context.Context, p *Principal, in SwitchOrgInput) (*SwitchResult, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if err := SwitchOrgForm.Validate(&in); err != nil {
		return nil, err
	}
	org, err := uuid.Parse(in.OrgID)
	if err != nil {
		return nil, errForbidden("org:access")
	}
	now := s.now()
	var res *SwitchResult
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		member, err := tx.Membership.Query().Where(membership.UserID(p.UserID), membership.OrgID(org)).Exist(ctx)
		if err != nil {
			return err
		}
		if !member {
			return errForbidden("org:access")
		}
		n, err := tx.Session.Update().Where(session.ID(p.SessionID), session.RevokedAtIsNil()).
			SetOrgID(org).SetLastUsedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			return errAuthRequired()
		}
		access, err := s.issueAccess(p.UserID, p.SessionID, &org, p.user.Roles, now)
		if err != nil {
			return err
		}
		res = &SwitchResult{AccessToken: access, TokenType: TokenType, ExpiresIn: s.ExpiresIn(), OrgID: org}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.auditP(ctx, EventOrgSwitched, p, map[string]any{"org_id": org.String()})
	return res, nil
}

// loginOrg is the organization a new session starts in: the personal workspace while
// the user is still its member, else the oldest membership, else none. One fixed
// statement (hotsql.go: every login runs it).
func (s *Service) loginOrg(ctx context.Context, tx *ent.Tx, u *ent.User) (*uuid.UUID, error) {
	var org uuid.NullUUID
	err := txQueryRow(ctx, tx, func(r rowScanner) error { return r.Scan(&org) }, s.hot.loginOrg,
		u.ID, nullID(u.DefaultWorkspaceID), u.ID)
	if err != nil || !org.Valid {
		return nil, err
	}
	return &org.UUID, nil
}
