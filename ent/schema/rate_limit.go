package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// RateLimit is one rate-limit bucket shared by every replica (GCRA: one theoretical
// arrival time per key). The key is a hash of the limit name and its subject, so that
// addresses and identifiers typed at login are not stored. The service reads and writes
// it with one statement per attempt (graph/auth/limitstore.go), not through ent.
type RateLimit struct{ ent.Schema }

func (RateLimit) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "rate_limits"}}
}

func (RateLimit) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().MaxLen(64),
		field.Int64("tat").Comment("theoretical arrival time, Unix microseconds"),
		field.Bool("hit").Default(false).Comment("whether the last attempt was allowed"),
	}
}
