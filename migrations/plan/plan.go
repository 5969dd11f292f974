// Package plan writes new versioned migrations from the ent schema (atlas plans them).
// It is for the generator (migrations/gen) and the tests that check the committed files
// against the schema, never for the service: it loads the schema package from source
// and links atlas's planners, which the authbff binary leaves out (ent/entc.go).
package plan

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	atlas "ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

// Generate plans the changes that bring the migrations in dir up to the ent schema and
// writes them as a new file named NAME (atlas format, atlas.sum updated). dev must be an
// empty database of the dialect ("sqlite3" or "postgres"): atlas replays the directory on
// it and diffs the result against the ent schema. Nothing is written when they agree.
func Generate(ctx context.Context, dialect string, dev *sql.DB, dir, name string) error {
	g, err := loadGraph()
	if err != nil {
		return err
	}
	tables, err := g.Tables() // fresh ones each time: NamedDiff modifies what it is given
	if err != nil {
		return err
	}
	d, err := atlas.NewLocalDir(dir)
	if err != nil {
		return err
	}
	m, err := schema.NewMigrate(entsql.OpenDB(dialect, dev),
		schema.WithDir(d),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err == nil {
		err = m.NamedDiff(ctx, name, tables...)
	}
	if err != nil {
		return fmt.Errorf("planning %s migrations: %w", dialect, err)
	}
	return nil
}

// loadGraph reads the ent schema from its source: ent/schema in the module
// that holds the working directory (the repository root for migrations/gen, the
// package directory for tests). entc builds and runs a small loader program, a few
// seconds; once per process.
var loadGraph = sync.OnceValues(func() (*gen.Graph, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("plan: no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
	g, err := entc.LoadGraph(filepath.Join(dir, "ent", "schema"), &gen.Config{})
	if err != nil {
		return nil, fmt.Errorf("loading the ent schema: %w", err)
	}
	return g, nil
})
