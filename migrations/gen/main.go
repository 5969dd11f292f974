// Command gen writes a new versioned migration for each dialect from the ent schema:
//
//	go run ./migrations/gen NAME          (or: make migration NAME=add_something)
//
// SQLite is planned on an in-memory database. PostgreSQL needs a dev database: gen
// creates a throwaway one on the server of AUTH_TEST_POSTGRES_URL (whose user may create
// databases) and drops it afterwards; -postgres-dev names an existing empty one instead.
// Without either, gen stops: the two directories must never drift apart.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"authbff/migrations/plan"
)

func main() {
	dir := flag.String("dir", "migrations", "the directory holding sqlite/ and postgres/")
	pgDev := flag.String("postgres-dev", "", "URL of an empty PostgreSQL dev database (default: a throwaway database on AUTH_TEST_POSTGRES_URL's server)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: go run ./migrations/gen [-postgres-dev URL] NAME")
	}
	name := flag.Arg(0)
	ctx := context.Background()
	before := count(*dir)

	// The PostgreSQL dev database first: without it nothing is written, so the two
	// directories never drift apart.
	devURL := *pgDev
	if devURL == "" {
		base := os.Getenv("AUTH_TEST_POSTGRES_URL")
		if base == "" {
			log.Fatal("PostgreSQL migrations need a dev database: set AUTH_TEST_POSTGRES_URL (a server whose user may create databases) or pass -postgres-dev URL")
		}
		u, drop, err := throwaway(ctx, base)
		if err != nil {
			log.Fatal(err)
		}
		defer drop()
		devURL = u
	}
	lite, err := sql.Open("sqlite3", "file:dev-"+rand.Text()+"?mode=memory&cache=shared&_fk=1")
	if err != nil {
		log.Fatal(err)
	}
	lite.SetMaxOpenConns(1)
	if err := plan.Generate(ctx, "sqlite3", lite, filepath.Join(*dir, "sqlite"), name); err != nil {
		log.Fatal(err)
	}

	pg, err := sql.Open("pgx", devURL)
	if err != nil {
		log.Fatal(err)
	}
	defer pg.Close()
	if err := plan.Generate(ctx, "postgres", pg, filepath.Join(*dir, "postgres"), name); err != nil {
		log.Fatal(err)
	}
	if n := count(*dir) - before; n > 0 {
		fmt.Printf("%d migration file(s) written under %s: review them and commit them with atlas.sum\n", n, *dir)
	} else {
		fmt.Println("the ent schema and the committed migrations agree: nothing to write")
	}
}

// count returns how many .sql files the dialect directories hold.
func count(dir string) int {
	a, _ := filepath.Glob(filepath.Join(dir, "*", "*.sql"))
	return len(a)
}

// throwaway creates an empty database on base's server and returns its URL.
func throwaway(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	name := "authbff_dev_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("creating the dev database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}
