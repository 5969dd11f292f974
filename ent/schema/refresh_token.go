package schema

import (
	"entgo.io/ent"
	entsql "entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// RefreshToken is one link of a session's rotation chain. rotated_at is set when the
// token is exchanged for its child; presenting a rotated token after the reuse grace
// revokes the whole session.
//
// A token names its row (graph/auth/refresh.go): it is the row's id followed by a
// 256-bit secret, and the row holds secret_hash, the SHA-256 of the whole token. It is
// found by primary key and verified by that hash, so a rotation never touches an index
// keyed by a random hash. token_hash is the SHA-256 of a token issued before that
// format (43 characters, found by hash): NULL for every new row, so its unique index is
// partial and holds only the rows of those older tokens, which go as they rotate or
// expire.
type RefreshToken struct{ ent.Schema }

func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("session_id", uuid.UUID{}).Immutable(),
		field.Bytes("token_hash").Optional().Nillable().Sensitive().Immutable(),
		field.Bytes("secret_hash").Optional().Nillable().Sensitive().Immutable(),
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
	return []ent.Index{
		index.Fields("session_id"),
		index.Fields("parent_id"),
		// The tokens of the old format only (the name is the one the unique field had).
		index.Fields("token_hash").Unique().StorageKey("refresh_tokens_token_hash_key").
			Annotations(entsql.IndexWhere("token_hash IS NOT NULL")),
	}
}
