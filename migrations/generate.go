package migrations

import (
	"context"
	"database/sql"
	"fmt"

	atlas "ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"authbff/ent/migrate"
)

// Generate plans the changes that bring the migrations in dir up to the ent schema and
// writes them as a new file named NAME (atlas format, atlas.sum updated). dev must be an
// empty database of the dialect ("sqlite3" or "postgres"): atlas replays the directory on
// it and diffs the result against the ent schema. Nothing is written when they agree.
func Generate(ctx context.Context, dialect string, dev *sql.DB, dir, name string) error {
	d, err := atlas.NewLocalDir(dir)
	if err != nil {
		return err
	}
	drv := entsql.OpenDB(dialect, dev)
	err = migrate.NewSchema(drv).NamedDiff(ctx, name,
		schema.WithDir(d),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return fmt.Errorf("planning %s migrations: %w", dialect, err)
	}
	return nil
}
