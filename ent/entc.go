//go:build ignore

// entc.go runs the ent code generator with the features the auth service relies on:
// versioned migrations (migrate.NamedDiff plans the committed files under migrations/),
// upserts (settings written once by whichever replica starts first), row locks and
// modifiers (conditional updates that make token consumption atomic), and raw ExecContext.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{gen.FeatureUpsert, gen.FeatureLock, gen.FeatureModifier, gen.FeatureExecQuery,
			gen.FeatureVersionedMigration},
	})
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
