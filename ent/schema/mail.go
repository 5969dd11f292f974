package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Mail is an outbox row: written in the same transaction as the token it carries and
// delivered by a background worker, so a request never waits on SMTP and no mail is lost.
// The bodies hold links with live tokens; they are dropped once the message is delivered.
type Mail struct{ ent.Schema }

func (Mail) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.String("kind"),
		field.String("to"),
		field.String("subject"),
		field.Text("text_body").Sensitive(),
		field.Text("html_body").Sensitive(),
		field.Enum("status").Values("pending", "sending", "sent", "failed").Default("pending"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at"),
		field.String("last_error").Default(""),
		field.Time("created_at").Immutable(),
		field.Time("sent_at").Optional().Nillable(),
	}
}

func (Mail) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "next_attempt_at")}
}
