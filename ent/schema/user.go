package schema

import (
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// User is an account. E-mail and username are kept as entered (after pydantic-style
// normalization) and, lowercased, in *_key columns whose unique indexes make uniqueness
// case-insensitive on every database.
type User struct{ ent.Schema }

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.String("email").MaxLen(320),
		field.String("email_key").MaxLen(320).Unique(),
		field.String("username").MaxLen(64),
		field.String("username_key").MaxLen(64).Unique(),
		field.String("password_hash").Optional().Nillable().Sensitive(),
		field.String("auth_provider").Default("local"),
		field.String("full_name").Optional().Nillable(),
		field.String("avatar_url").Optional().Nillable(),
		field.Text("bio").Optional().Nillable(),
		field.String("timezone").Optional().Nillable(),
		field.String("locale").Optional().Nillable(),
		// preferences and settings are JSON object text, kept byte for byte so that key order
		// survives (jsonb would reorder keys).
		field.Text("preferences").Default("{}"),
		field.Text("settings").Default("{}"),
		field.Strings("roles"),
		field.Bool("is_active").Default(true),
		field.Bool("is_verified").Default(false),
		field.UUID("default_workspace_id", uuid.UUID{}).Optional().Nillable(),
		// failed_logins counts consecutive failed password checks; password login is
		// disabled once it reaches the lockout threshold, until a password reset.
		field.Int("failed_logins").Default(0),
		field.Time("created_at").Immutable(),
		field.Time("updated_at"),
		field.Time("last_login").Optional().Nillable(),
	}
}

// Edges: a session, membership or one-time token means nothing without its user, so
// deleting the user deletes them (ON DELETE CASCADE).
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("sessions", Session.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("memberships", Membership.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("tokens", OneTimeToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at")}
}
