package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"authbff/graph/auth"
)

// GraphQL's names for the domain's input fields. The domain names a failing field
// with an auth.FieldName; GraphQL shows it at its argument path: ["input", "newPassword"]
// when the root field takes an input object, ["refreshToken"] for a scalar argument.
// graphNames is the one table of spellings (TestFieldNamesMapToSchema checks that each
// names an argument or input field of the schema and that every domain field has one).
var graphNames = map[auth.FieldName]string{
	auth.FieldEmail:           "email",
	auth.FieldUsername:        "username",
	auth.FieldPassword:        "password",
	auth.FieldFullName:        "fullName",
	auth.FieldInviteToken:     "inviteToken",
	auth.FieldRefreshToken:    "refreshToken",
	auth.FieldToken:           "token",
	auth.FieldNewPassword:     "newPassword",
	auth.FieldCurrentPassword: "currentPassword",
	auth.FieldOrgID:           "orgId",
	auth.FieldAvatarURL:       "avatarUrl",
	auth.FieldBio:             "bio",
	auth.FieldTimezone:        "timezone",
	auth.FieldLocale:          "locale",
	auth.FieldPreferences:     "preferences",
	auth.FieldSettings:        "settings",
	auth.FieldOrgName:         "name",
	auth.FieldRole:            "role",
	auth.FieldPageSize:        "first",
	auth.FieldPageAfter:       "after",
}

// domainNames is graphNames reversed.
var domainNames = func() map[string]auth.FieldName {
	m := make(map[string]auth.FieldName, len(graphNames))
	for f, g := range graphNames {
		m[g] = f
	}
	return m
}()

// fieldLoc is the argument path of a domain field under the current root field.
func fieldLoc(ctx context.Context, f auth.FieldName) []any {
	name, ok := graphNames[f]
	if !ok {
		name = string(f) // not reachable through GraphQL (an operator's input); never a panic
	}
	return argLoc(ctx, name)
}

// argLoc is the path of an argument, or of a field of the input object argument, named
// name (GraphQL's spelling) under the current root field: ["input", name] when the
// field takes an input object, [name] for a scalar argument.
func argLoc(ctx context.Context, name string) []any {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Definition != nil &&
		fc.Field.Definition.Arguments.ForName("input") != nil {
		return []any{"input", name}
	}
	return []any{name}
}

// domainField is the domain field GraphQL's name stands for: an argument or input
// field, or a variable a client named after one in either spelling (GraphQL's or the
// domain's, as REST's persisted operations do), so that a password in a variable
// called $new_password is redacted too. "" for anything else.
func domainField(name string) auth.FieldName {
	if f, ok := domainNames[name]; ok {
		return f
	}
	if f := auth.FieldName(name); f.Declared() {
		return f
	}
	return ""
}
