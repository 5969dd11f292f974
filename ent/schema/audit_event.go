package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// AuditEvent records one security-relevant event. It never holds a secret: no password,
// no token, only who, what, when and from where.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.String("type").Immutable(),
		field.UUID("user_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		field.UUID("session_id", uuid.UUID{}).Optional().Nillable().Immutable(),
		// ip and user_agent are cleared when the account is erased.
		field.String("ip").Default(""),
		field.String("user_agent").Default(""),
		// data is a small JSON object of non-secret facts (an organization id, a limit name).
		field.Text("data").Default("{}").Immutable(),
		field.Time("created_at").Immutable(),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "created_at"), index.Fields("created_at")}
}
