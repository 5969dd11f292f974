package schema

import (
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// Organization is a workspace. Every user gets a personal one at registration.
type Organization struct{ ent.Schema }

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.String("name").MaxLen(200),
		field.Bool("personal").Default(false),
		field.Time("created_at").Immutable(),
	}
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", Membership.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("invites", Invite.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}
