package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// RefreshToken is one link of a session's rotation chain, stored only as the SHA-256 of
// the token. rotated_at is set when the token is exchanged for its child; presenting a
// rotated token after the reuse grace revokes the whole session.
type RefreshToken struct{ ent.Schema }

func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("session_id", uuid.UUID{}).Immutable(),
		field.Bytes("token_hash").Unique().Sensitive().Immutable(),
		field.UUID("parent_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.Time("created_at").Immutable(),
		// expires_at is the idle deadline: created_at + AUTH_REFRESH_TTL, capped by the session's end.
		field.Time("expires_at").Immutable(),
		field.Time("rotated_at").Optional().Nillable(),
	}
}

func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("session", Session.Type).Ref("refresh_tokens").Field("session_id").Unique().Required().Immutable(),
	}
}

func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("session_id"), index.Fields("parent_id")}
}
