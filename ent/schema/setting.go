package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Setting is a server-wide value generated once and shared by every replica, such as the
// JWT signing secret when AUTH_JWT_SECRET is unset.
type Setting struct{ ent.Schema }

func (Setting) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().MaxLen(100),
		field.String("value").Sensitive(),
	}
}
