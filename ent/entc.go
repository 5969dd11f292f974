//go:build ignore

// entc.go runs the ent code generator with the features the auth service relies on:
// row locks and modifiers (conditional updates that make token consumption atomic), and
// raw ExecContext. Not upserts: the two the service needs are fixed statements
// (graph/auth/upsert.go), because the feature's builders for every entity cost 1.2 MB of
// the binary (issue 12: idle memory).
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	// The SQL storage without its migrate package: the service applies the committed
	// versioned migrations (package migrations) and never diffs a schema itself, and
	// ent's migrate package links atlas with its HCL and cty stack (and every dialect's
	// planner) into the binary, ~5 MB of code and ~8 MiB of resident memory at idle
	// (issue 12). The migration planner (migrations/plan) loads the schema graph itself.
	sqlStorage, err := gen.NewStorage("sql")
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
	storage := *sqlStorage
	storage.SchemaMode &^= gen.Migrate
	err = entc.Generate("./schema", &gen.Config{
		Storage:  &storage,
		Features: []gen.Feature{gen.FeatureLock, gen.FeatureModifier, gen.FeatureExecQuery},
	})
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
