package auth

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
)

// TestDriverRowScansAsDatabaseSQL: the session check's driver path (queryRowDriver,
// driverRow) reads a users row into the same ent.User as database/sql's Rows.Scan, for
// accounts with every nullable column null and with every column set (unicode, JSON,
// several roles, times with fractions), and reports no row as sql.ErrNoRows.
func TestDriverRowScansAsDatabaseSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), OpenOrCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if st.SQLiteDB() == nil {
		t.Fatal("SQLiteDB is nil on SQLite")
	}
	created := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)
	bare := st.Client.User.Create().SetID(uuid.New()).SetEmail("a@example.com").SetEmailKey("a@example.com").
		SetUsername("a").SetUsernameKey("a").SetRoles([]string{"user"}).SetCreatedAt(created).SetUpdatedAt(created).
		SaveX(ctx)
	ws := uuid.New()
	full := st.Client.User.Create().SetID(uuid.New()).SetEmail("Zoë@Example.com").SetEmailKey("zoë@example.com").
		SetUsername("zoe.ü").SetUsernameKey("zoe.ü").SetPasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").
		SetAuthProvider("local").SetFullName("Zoë \"Z\" Ünïcode ☃").SetAvatarURL("https://example.com/a.png").
		SetBio("line\nbreak\ttab").SetTimezone("Europe/Paris").SetLocale("fr-FR").
		SetPreferences(`{"theme":"dark","n":[1,2]}`).SetSettings(`{"a":{"b":null}}`).
		SetRoles([]string{"user", "admin", "ünï"}).SetIsActive(false).SetIsVerified(true).
		SetDefaultWorkspaceID(ws).SetFailedLogins(7).SetCreatedAt(created).SetUpdatedAt(created.Add(time.Hour)).
		SetLastLogin(created.Add(time.Minute)).SaveX(ctx)
	q := "SELECT " + strings.Join(userCols, ", ") + " FROM users WHERE id = ?"
	for _, id := range []uuid.UUID{bare.ID, full.ID, uuid.New()} {
		var viaSQL, viaDriver *ent.User
		errSQL := func() error {
			rows, err := st.DB.QueryContext(ctx, q, id)
			return scanOne(rows, err, func(r rowScanner) (err error) { viaSQL, err = scanUser(r); return err })
		}()
		errDriver := queryRowDriver(ctx, st.DB, func(r rowScanner) (err error) { viaDriver, err = scanUser(r); return err }, q, []any{id})
		if (errSQL == nil) != (errDriver == nil) || errSQL != nil && (errSQL != sql.ErrNoRows || errDriver != sql.ErrNoRows) {
			t.Fatalf("%v: database/sql %v, driver %v", id, errSQL, errDriver)
		}
		if !reflect.DeepEqual(viaSQL, viaDriver) {
			t.Fatalf("%v:\ndatabase/sql %+v\ndriver       %+v", id, viaSQL, viaDriver)
		}
	}
}
