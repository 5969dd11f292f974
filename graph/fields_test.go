package graph

import (
	"context"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/auth"
)

// rootForms is which domain input each root field's resolver builds.
var rootForms = map[string]auth.InputForm{
	"register":           auth.RegisterForm,
	"login":              auth.LoginForm,
	"refreshToken":       auth.RefreshForm,
	"verifyEmail":        auth.VerifyEmailForm,
	"resendVerification": auth.ResendVerificationForm,
	"forgotPassword":     auth.ForgotPasswordForm,
	"resetPassword":      auth.ResetPasswordForm,
	"switchOrg":          auth.SwitchOrgForm,
	"updateProfile":      auth.ProfileForm,
	"changePassword":     auth.ChangePasswordForm,
	"deleteAccount":      auth.DeleteAccountForm,
	"createOrganization": auth.CreateOrganizationForm,
	"createInvite":       auth.CreateInviteForm,
	"acceptInvite":       auth.AcceptInviteForm,
	"inviteInfo":         auth.InviteInfoForm,
}

// rootCtx is the context a resolver of the root field name runs in.
func rootCtx(t *testing.T, name string) context.Context {
	t.Helper()
	for _, typ := range []*ast.Definition{parsedSchema.Query, parsedSchema.Mutation} {
		if def := typ.Fields.ForName(name); def != nil {
			return graphql.WithFieldContext(context.Background(),
				&graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Name: name, Definition: def}}})
		}
	}
	t.Fatalf("no root field %s", name)
	return nil
}

// schemaHas reports whether loc is an argument of the root field, or a field of its
// input object argument.
func schemaHas(ctx context.Context, loc []any) bool {
	def := graphql.GetFieldContext(ctx).Field.Definition
	arg := def.Arguments.ForName(loc[0].(string))
	if arg == nil {
		return false
	}
	if len(loc) == 1 {
		return true
	}
	in := parsedSchema.Types[arg.Type.Name()]
	return len(loc) == 2 && in != nil && in.Kind == ast.InputObject && in.Fields.ForName(loc[1].(string)) != nil
}

// TestDomainFieldsMapToArgumentPaths: every field of every input a resolver builds has
// its GraphQL argument path, and that path is in the schema.
func TestDomainFieldsMapToArgumentPaths(t *testing.T) {
	t.Parallel()
	for root, form := range rootForms {
		ctx := rootCtx(t, root)
		for _, f := range form.Fields() {
			if _, ok := graphNames[f.Name]; !ok {
				t.Errorf("%s: domain field %s has no GraphQL name", root, f.Name)
				continue
			}
			if loc := fieldLoc(ctx, f.Name); !schemaHas(ctx, loc) {
				t.Errorf("%s: domain field %s maps to %v, not in the schema", root, f.Name, loc)
			}
		}
	}
	// The audit page's fields, reported by AuditEvents itself.
	ctx := rootCtx(t, "auditEvents")
	for _, f := range []auth.FieldName{auth.FieldPageSize, auth.FieldPageAfter} {
		if loc := fieldLoc(ctx, f); !schemaHas(ctx, loc) {
			t.Errorf("auditEvents: %s maps to %v", f, loc)
		}
	}
}

// TestFieldLocations pins the paths the contract documents (["input", "newPassword"],
// ["refreshToken"]), and that every declared domain field but the operator's has a
// GraphQL name.
func TestFieldLocations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		root  string
		field auth.FieldName
		want  []any
	}{
		{"changePassword", auth.FieldNewPassword, []any{"input", "newPassword"}},
		{"resetPassword", auth.FieldNewPassword, []any{"input", "newPassword"}},
		{"register", auth.FieldFullName, []any{"input", "fullName"}},
		{"register", auth.FieldInviteToken, []any{"input", "inviteToken"}},
		{"updateProfile", auth.FieldAvatarURL, []any{"input", "avatarUrl"}},
		{"refreshToken", auth.FieldRefreshToken, []any{"refreshToken"}},
		{"deleteAccount", auth.FieldCurrentPassword, []any{"currentPassword"}},
		{"createInvite", auth.FieldOrgID, []any{"orgId"}},
		{"createOrganization", auth.FieldOrgName, []any{"name"}},
		{"auditEvents", auth.FieldPageSize, []any{"first"}},
	}
	for _, c := range cases {
		if got := fieldLoc(rootCtx(t, c.root), c.field); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.root, c.field, got, c.want)
		}
	}
	for _, f := range auth.FieldNames() {
		if _, ok := graphNames[f]; !ok && f != auth.FieldGlobalRoles {
			t.Errorf("domain field %s has no GraphQL name", f)
		}
	}
	if len(domainNames) != len(graphNames) {
		t.Error("two domain fields share a GraphQL name")
	}
}

// TestDomainFieldOfGraphQLNames: a GraphQL name, or a variable named in either spelling,
// stands for its domain field (so that a password in it is never echoed); anything else
// for none.
func TestDomainFieldOfGraphQLNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]auth.FieldName{
		"newPassword": auth.FieldNewPassword, "new_password": auth.FieldNewPassword,
		"currentPassword": auth.FieldCurrentPassword, "current_password": auth.FieldCurrentPassword,
		"password": auth.FieldPassword, "avatarUrl": auth.FieldAvatarURL, "preferences": auth.FieldPreferences,
		"NewPassword": "", "newPwd": "", "theme": "", "": "",
	} {
		if got := domainField(name); got != want {
			t.Errorf("domainField(%q) = %q, want %q", name, got, want)
		}
	}
}
