package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/graph/model"
	"authbff/rest/apitest"
)

// introspect returns the served schema's types by name (introspection over /graphql).
func introspect(t *testing.T) (map[string]map[string]any, []string) {
	t.Helper()
	e := apitest.New(t)
	r := e.GraphQL(`{ __schema {
		directives { name }
		types { name kind description
			fields(includeDeprecated: true) { name description args { name description } }
			inputFields { name description }
			enumValues(includeDeprecated: true) { name description } } } }`, nil, "")
	s := obj(t, data(t, r)["__schema"])
	types := map[string]map[string]any{}
	for _, ty := range s["types"].([]any) {
		m := obj(t, ty)
		types[m["name"].(string)] = m
	}
	var directives []string
	for _, d := range s["directives"].([]any) {
		directives = append(directives, obj(t, d)["name"].(string))
	}
	return types, directives
}

// description returns the description of Type.field (or of Type with field "").
func description(t *testing.T, types map[string]map[string]any, typ, field string) string {
	t.Helper()
	ty, ok := types[typ]
	if !ok {
		t.Fatalf("no type %s", typ)
	}
	if field == "" {
		d, _ := ty["description"].(string)
		return d
	}
	for _, key := range []string{"fields", "inputFields", "enumValues"} {
		list, _ := ty[key].([]any)
		for _, f := range list {
			m := obj(t, f)
			if m["name"] == field {
				d, _ := m["description"].(string)
				return d
			}
		}
	}
	t.Fatalf("no field %s.%s", typ, field)
	return ""
}

// Introspection shows only what a client can use: gqlgen's @goField hint is hidden.
func TestIntrospectionHidesInternalDirectives(t *testing.T) {
	t.Parallel()
	_, directives := introspect(t)
	slices.Sort(directives)
	want := []string{"defer", "deprecated", "include", "oneOf", "skip", "specifiedBy"}
	for _, d := range directives {
		if !slices.Contains(want, d) {
			t.Errorf("introspection lists the internal directive @%s (all: %v)", d, directives)
		}
	}
	if !slices.Contains(directives, "skip") {
		t.Errorf("the standard directives are gone: %v", directives)
	}
}

// AuditEvent.type is an enum of exactly the events the service records.
func TestAuditEventTypeIsTheRecordedSet(t *testing.T) {
	t.Parallel()
	var enum []string
	for _, v := range model.AllAuditEventType {
		enum = append(enum, string(v))
	}
	if !slices.Equal(enum, auth.AuditEventTypes) {
		t.Errorf("schema AuditEventType %v\nservice records   %v", enum, auth.AuditEventTypes)
	}
	types, _ := introspect(t)
	if k := obj(t, types["AuditEventType"])["kind"]; k != "ENUM" {
		t.Errorf("AuditEventType is %v", k)
	}
}

// Where a description states a field rule, it states the rule the validation applies:
// the texts are built from the constants in graph/auth/validate.go.
func TestDescriptionsStateTheFieldRules(t *testing.T) {
	t.Parallel()
	types, _ := introspect(t)
	username := fmt.Sprintf("%d–%d characters matching %s", auth.UsernameMinLen, auth.UsernameMaxLen, auth.UsernamePattern)
	newPassword := fmt.Sprintf("%d–%d characters", auth.PasswordMinLen, auth.PasswordMaxLen)
	email := fmt.Sprintf("a valid e-mail address, at most %d characters", auth.EmailMaxLen)
	atMost := func(n int) string { return fmt.Sprintf("at most %d characters", n) }
	for _, c := range []struct{ typ, field, want string }{
		{"RegisterInput", "email", email},
		{"RegisterInput", "username", username},
		{"RegisterInput", "password", newPassword},
		{"RegisterInput", "fullName", atMost(auth.FullNameMaxLen)},
		{"ResetPasswordInput", "newPassword", newPassword},
		{"ChangePasswordInput", "newPassword", newPassword},
		{"ChangePasswordInput", "currentPassword", atMost(auth.PasswordMaxLen)},
		{"UpdateProfileInput", "username", username},
		{"UpdateProfileInput", "fullName", atMost(auth.FullNameMaxLen)},
		{"UpdateProfileInput", "bio", atMost(auth.BioMaxLen)},
		{"UpdateProfileInput", "avatarUrl", atMost(auth.AvatarURLMaxLen)},
		{"User", "username", fmt.Sprintf("%d–%d characters", auth.UsernameMinLen, auth.UsernameMaxLen)},
		{"Organization", "name", fmt.Sprintf("1–%d characters", auth.OrgNameMaxLen)},
		{"UpdateProfileInput", "preferences", fmt.Sprintf("nested at most %d levels, at most %d bytes", auth.ObjectMaxDepth, auth.ObjectMaxBytes)},
		{"UpdateProfileInput", "settings", fmt.Sprintf("nested at most %d levels, at most %d bytes", auth.ObjectMaxDepth, auth.ObjectMaxBytes)},
	} {
		if d := description(t, types, c.typ, c.field); !strings.Contains(strings.ToLower(d), strings.ToLower(c.want)) {
			t.Errorf("%s.%s: description %q does not state %q", c.typ, c.field, d, c.want)
		}
	}
	// Arguments: e-mail addresses and the organization name.
	args := map[string]string{}
	for _, typ := range []string{"Query", "Mutation"} {
		for _, f := range types[typ]["fields"].([]any) {
			fm := obj(t, f)
			for _, a := range fm["args"].([]any) {
				am := obj(t, a)
				d, _ := am["description"].(string)
				args[fm["name"].(string)+"."+am["name"].(string)] = d
			}
		}
	}
	for arg, want := range map[string]string{
		"resendVerification.email": email,
		"forgotPassword.email":     email,
		"createInvite.email":       email,
		"createOrganization.name":  fmt.Sprintf("1–%d characters", auth.OrgNameMaxLen),
		"auditEvents.first":        fmt.Sprintf("1 to %d", auth.MaxAuditPage),
	} {
		if !strings.Contains(strings.ToLower(args[arg]), strings.ToLower(want)) {
			t.Errorf("argument %s: description %q does not state %q", arg, args[arg], want)
		}
	}
}
