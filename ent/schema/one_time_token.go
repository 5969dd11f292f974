package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// OneTimeToken is an e-mail verification or password reset token, stored only as its
// SHA-256. used_at is set by a conditional update, so two concurrent uses cannot both win.
type OneTimeToken struct{ ent.Schema }

func (OneTimeToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("user_id", uuid.UUID{}).Immutable(),
		field.Enum("kind").Values("verify_email", "reset_password").Immutable(),
		field.Bytes("token_hash").Unique().Sensitive().Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (OneTimeToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("tokens").Field("user_id").Unique().Required().Immutable(),
	}
}

func (OneTimeToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "kind")}
}
