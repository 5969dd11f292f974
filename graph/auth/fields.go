package auth

import "slices"

// FieldName names an input field in the domain: the one declared set of names a
// FieldError can carry. The spelling is the contract's (snake_case, CONTRACT.md §4),
// which REST's JSON keys also use; each transport maps a name onto its own spelling and
// error location (REST ["body", key], GraphQL the argument path such as
// ["input", "newPassword"]). The domain never sees a transport's spelling.
type FieldName string

// The fields of the use cases' inputs (see each input's Form).
const (
	FieldEmail           FieldName = "email"
	FieldUsername        FieldName = "username"
	FieldPassword        FieldName = "password"
	FieldFullName        FieldName = "full_name"
	FieldInviteToken     FieldName = "invite_token"
	FieldRefreshToken    FieldName = "refresh_token"
	FieldToken           FieldName = "token"
	FieldNewPassword     FieldName = "new_password"
	FieldCurrentPassword FieldName = "current_password"
	FieldOrgID           FieldName = "org_id"
	FieldAvatarURL       FieldName = "avatar_url"
	FieldBio             FieldName = "bio"
	FieldTimezone        FieldName = "timezone"
	FieldLocale          FieldName = "locale"
	FieldPreferences     FieldName = "preferences"
	FieldSettings        FieldName = "settings"
	FieldOrgName         FieldName = "name" // an organization's name
	FieldRole            FieldName = "role" // an organization role
	FieldPageSize        FieldName = "first"
	FieldPageAfter       FieldName = "after" // a page cursor
	FieldGlobalRoles     FieldName = "roles" // an operator's `users create --role`
)

// fieldNames is every declared name.
var fieldNames = []FieldName{
	FieldEmail, FieldUsername, FieldPassword, FieldFullName, FieldInviteToken, FieldRefreshToken, FieldToken,
	FieldNewPassword, FieldCurrentPassword, FieldOrgID, FieldAvatarURL, FieldBio, FieldTimezone, FieldLocale,
	FieldPreferences, FieldSettings, FieldOrgName, FieldRole, FieldPageSize, FieldPageAfter, FieldGlobalRoles,
}

// FieldNames returns every declared field name, so that a transport can check at
// start-up (or in a test) that it maps each one.
func FieldNames() []FieldName { return slices.Clone(fieldNames) }

// Declared reports whether n is one of the declared names.
func (n FieldName) Declared() bool { return slices.Contains(fieldNames, n) }

// Secret reports whether values of the field must never be echoed (an entry shows
// Redacted instead).
func (n FieldName) Secret() bool {
	switch n {
	case FieldPassword, FieldCurrentPassword, FieldNewPassword:
		return true
	}
	return false
}
