package apitest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// Cell is one non-NULL value of one row of a table, as text: a []byte as it is, any
// other value as fmt.Sprint writes it.
type Cell struct {
	Table, Column string
	Row           int // the row's place in its table's scan, from 0
	Value         []byte
}

func (c Cell) String() string { return fmt.Sprintf("%s.%s = %q", c.Table, c.Column, c.Value) }

// Dump is what DumpDatabase read.
type Dump struct {
	Tables []string // every table, empty or not
	Cells  []Cell
}

// Rows reports how many rows of table held at least one non-NULL value.
func (d Dump) Rows(table string) int {
	n, last := 0, -1
	for _, c := range d.Cells {
		if c.Table == table && c.Row != last {
			n, last = n+1, c.Row
		}
	}
	return n
}

// OpenReadOnly opens the database at url (an AUTH_DATABASE_URL value) for a test to
// look into, beside the service: a SQLite file read-only (waiting for the service's
// writes rather than failing), PostgreSQL as the URL's role. The caller closes it.
func OpenReadOnly(t testing.TB, url string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		db, err = sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	} else {
		db, err = sql.Open("pgx", url)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// DumpDatabase reads every row of every table of the database at url (an
// AUTH_DATABASE_URL value; a SQLite file is opened read-only): the one scanner the
// tests use to prove that no secret is stored in clear and that erasure leaves no
// personal data anywhere, tables added after a test was written included.
func DumpDatabase(t testing.TB, url string) Dump {
	t.Helper()
	db := OpenReadOnly(t, url)
	defer db.Close()
	tablesQ := "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
	if strings.HasPrefix(url, "sqlite:") {
		tablesQ = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	var d Dump
	rows, err := db.Query(tablesQ)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		d.Tables = append(d.Tables, n)
	}
	rows.Close()
	for _, tb := range d.Tables {
		rows, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for row := 0; rows.Next(); row++ {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch x := v.(type) {
				case nil:
					continue
				case []byte:
					b = x
				case string:
					b = []byte(x)
				default:
					b = []byte(fmt.Sprint(x))
				}
				d.Cells = append(d.Cells, Cell{Table: tb, Column: cols[i], Row: row, Value: b})
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return d
}

// FindInDatabase returns "table.column = value" for each value of the database at url
// (see DumpDatabase) that contains one of needles, ignoring case.
func FindInDatabase(t testing.TB, url string, needles ...string) []string {
	t.Helper()
	d := DumpDatabase(t, url)
	if len(d.Tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(d.Tables), d.Tables)
	}
	var hits []string
	for _, c := range d.Cells {
		s := strings.ToLower(string(c.Value))
		for _, n := range needles {
			if n != "" && strings.Contains(s, strings.ToLower(n)) {
				hits = append(hits, c.String())
			}
		}
	}
	return hits
}
