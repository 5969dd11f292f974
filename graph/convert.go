package graph

import (
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"authbff/graph/auth"
	"authbff/graph/model"
)

func (r *Resolver) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

func userModel(u *auth.User) *model.User {
	m := &model.User{
		ID: u.ID.String(), Email: u.Email, Username: u.Username, FullName: u.FullName, AuthProvider: u.AuthProvider,
		IsActive: u.IsActive, IsVerified: u.IsVerified, Roles: u.Roles, AvatarURL: u.AvatarURL, Bio: u.Bio,
		Timezone: u.Timezone, Locale: u.Locale, Preferences: model.JSONObject(u.Preferences),
		Settings: model.JSONObject(u.Settings), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLogin: u.LastLogin,
		HasPassword: u.HasPassword,
	}
	if u.DefaultWorkspaceID != nil {
		id := u.DefaultWorkspaceID.String()
		m.DefaultWorkspaceID = &id
	}
	return m
}

func authPayload(res *auth.AuthResult) *model.AuthPayload {
	return &model.AuthPayload{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, TokenType: res.TokenType,
		ExpiresIn: res.ExpiresIn, User: userModel(res.User)}
}

func optString(o graphql.Omittable[*string]) auth.Field[string] {
	v, set := o.ValueOK()
	if !set {
		return auth.Field[string]{}
	}
	return auth.Field[string]{Set: true, Value: v}
}

func optObject(o graphql.Omittable[model.JSONObject]) auth.Field[string] {
	v, set := o.ValueOK()
	if !set {
		return auth.Field[string]{}
	}
	if len(v) == 0 {
		return auth.Field[string]{Set: true}
	}
	s := string(v)
	return auth.Field[string]{Set: true, Value: &s}
}

func profileInput(in model.UpdateProfileInput) auth.ProfileInput {
	return auth.ProfileInput{
		FullName: optString(in.FullName), AvatarURL: optString(in.AvatarURL), Bio: optString(in.Bio),
		Timezone: optString(in.Timezone), Locale: optString(in.Locale),
		Preferences: optObject(in.Preferences), Settings: optObject(in.Settings), Username: optString(in.Username),
	}
}

func membershipModel(m auth.Membership) *model.OrganizationMembership {
	o := m.Organization
	return &model.OrganizationMembership{
		Organization: &model.Organization{ID: o.ID.String(), Name: o.Name, Personal: o.Personal, CreatedAt: o.CreatedAt},
		Role:         roleModel(m.Role), Active: m.Active,
	}
}

func inviteModel(i *auth.Invite) *model.Invite {
	m := &model.Invite{ID: i.ID.String(), OrgID: i.OrgID.String(), Email: i.Email, Role: roleModel(i.Role),
		CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
	if i.InvitedBy != nil {
		by := i.InvitedBy.String()
		m.InvitedBy = &by
	}
	return m
}

func roleModel(r auth.Role) model.OrgRole { return model.OrgRole(strings.ToUpper(string(r))) }

func roleDomain(r model.OrgRole) auth.Role { return auth.Role(strings.ToLower(string(r))) }

func sessionModel(si auth.SessionInfo) model.Session {
	m := model.Session{ID: si.ID.String(), CreatedAt: si.CreatedAt, LastUsedAt: si.LastUsedAt, ExpiresAt: si.ExpiresAt,
		IP: si.IP, UserAgent: si.UserAgent, Current: si.Current}
	if si.OrgID != nil {
		id := si.OrgID.String()
		m.ActiveOrgID = &id
	}
	return m
}

func auditPageModel(p *auth.AuditPage) *model.AuditEventPage {
	out := &model.AuditEventPage{Events: make([]model.AuditEvent, len(p.Events)), NextCursor: p.NextCursor}
	for i, e := range p.Events {
		ev := model.AuditEvent{ID: e.ID.String(), Type: model.AuditEventType(e.Type), IP: e.IP, UserAgent: e.UserAgent,
			Data: model.JSONObject(e.Data), CreatedAt: e.CreatedAt}
		if e.SessionID != nil {
			id := e.SessionID.String()
			ev.SessionID = &id
		}
		out.Events[i] = ev
	}
	return out
}

func memberModel(m auth.Member) model.Member {
	return model.Member{UserID: m.UserID.String(), Username: m.Username, Email: m.Email, Role: roleModel(m.Role),
		JoinedAt: m.JoinedAt}
}
