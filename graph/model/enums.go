package model

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OrgRole is a member's role in an organization. It is hand-written (bound in
// gqlgen.yml) rather than generated so that a value that is not a role fails with a typed
// *EnumError, which the error presenter turns into a VALIDATION_ERROR entry: gqlgen's
// generated enums fail with a plain error, which read as an internal error (a 500) for a
// variable such as {"role": "member"}.
type OrgRole string

const (
	// OrgRoleOwner does everything admins do, and makes or removes owners. An
	// organization always keeps one.
	OrgRoleOwner OrgRole = "OWNER"
	// OrgRoleAdmin invites, lists and revokes invitations; manages admins and members.
	OrgRoleAdmin OrgRole = "ADMIN"
	// OrgRoleMember belongs to the organization and may list its members.
	OrgRoleMember OrgRole = "MEMBER"
)

// AllOrgRole lists the roles in the schema's order.
var AllOrgRole = []OrgRole{OrgRoleOwner, OrgRoleAdmin, OrgRoleMember}

// IsValid reports whether e is one of the roles.
func (e OrgRole) IsValid() bool {
	switch e {
	case OrgRoleOwner, OrgRoleAdmin, OrgRoleMember:
		return true
	}
	return false
}

func (e OrgRole) String() string { return string(e) }

// UnmarshalGQL accepts exactly the role names.
func (e *OrgRole) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || !OrgRole(str).IsValid() {
		names := make([]string, len(AllOrgRole))
		for i, r := range AllOrgRole {
			names[i] = string(r)
		}
		return &EnumError{Allowed: names, Value: v}
	}
	*e = OrgRole(str)
	return nil
}

// MarshalGQL writes the role name.
func (e OrgRole) MarshalGQL(w io.Writer) { _, _ = fmt.Fprint(w, strconv.Quote(e.String())) }

// EnumError is a value that is not one of an enum's names.
type EnumError struct {
	Allowed []string
	Value   any
}

func (e *EnumError) Error() string { return "Input should be " + e.Expected() }

// Expected lists the allowed names as pydantic words them: 'A', 'B' or 'C'.
func (e *EnumError) Expected() string {
	q := make([]string, len(e.Allowed))
	for i, a := range e.Allowed {
		q[i] = "'" + a + "'"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
