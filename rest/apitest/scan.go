package apitest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// FindInDatabase reads every row of every table of the database at url (an
// AUTH_DATABASE_URL value) and returns "table.column = value" for each value that
// contains one of needles, ignoring case: how erasure tests prove no personal data is
// left anywhere, including in tables added after the test was written.
func FindInDatabase(t testing.TB, url string, needles ...string) []string {
	t.Helper()
	var db *sql.DB
	var err error
	var tablesQ string
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		db, err = sql.Open("sqlite3", "file:"+path+"?mode=ro")
		tablesQ = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	} else {
		db, err = sql.Open("pgx", url)
		tablesQ = "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(tablesQ)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	var hits []string
	for _, tb := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch x := v.(type) {
				case nil:
					continue
				case []byte:
					s = string(x)
				default:
					s = fmt.Sprint(x)
				}
				for _, n := range needles {
					if n != "" && strings.Contains(strings.ToLower(s), strings.ToLower(n)) {
						hits = append(hits, fmt.Sprintf("%s.%s = %q", tb, cols[i], s))
					}
				}
			}
		}
		rows.Close()
	}
	return hits
}
