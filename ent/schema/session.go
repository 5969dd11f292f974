package schema

import (
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Session is one login. Access tokens name it in their sid claim and are accepted only
// while it lives; its refresh tokens form one rotation family.
type Session struct{ ent.Schema }

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		// org_id is the active organization: the org claim of every access token minted for it.
		field.UUID("org_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("created_at").Immutable(),
		field.Time("last_used_at"),
		// expires_at is the absolute end (login + AUTH_SESSION_MAX_AGE); no refresh outlives it.
		field.Time("expires_at").Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoke_reason").Optional(),
		field.String("ip").Default(""),
		field.String("user_agent").Default(""),
	}
}

func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
		edge.To("refresh_tokens", RefreshToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "revoked_at")}
}
