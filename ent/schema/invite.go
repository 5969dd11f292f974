package schema

import (
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Invite asks an e-mail address into an organization with a role. The token is stored
// only as its SHA-256; accepting sets accepted_at by a conditional update.
type Invite struct{ ent.Schema }

func (Invite) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("org_id", uuid.UUID{}).Immutable(),
		field.String("email").MaxLen(320),
		field.String("email_key").MaxLen(320),
		field.Enum("role").Values("owner", "admin", "member"),
		field.Bytes("token_hash").Unique().Sensitive(),
		field.UUID("invited_by", uuid.UUID{}).Optional().Nillable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at"),
		field.Time("accepted_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (Invite) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).Ref("invites").Field("org_id").Unique().Required().Immutable(),
	}
}

func (Invite) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_id", "email_key"),
		// At most one pending invitation per address and organization, even when two
		// invitations race on PostgreSQL.
		index.Fields("org_id", "email_key").Unique().StorageKey("invite_pending_unique").
			Annotations(entsql.IndexWhere("accepted_at IS NULL AND revoked_at IS NULL")),
	}
}
