// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema of the database named by RELEVO_TEST_POSTGRES_URL, dropped when
// the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable with the URL of a PostgreSQL database the tests
// may use, as a URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
// or in keyword/value form.
const Env = "RELEVO_TEST_POSTGRES_URL"

// URL returns a URL of the test database whose search_path is a new schema
// of this test, dropped when the test ends (after whatever the test started
// stopped: cleanups run in reverse). Without the database the test is
// skipped, or fails when CI=true.
func URL(t testing.TB, prefix string) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must run the PostgreSQL tests", Env)
		}
		t.Skipf("%s is not set; skipping the PostgreSQL test", Env)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	quoted := pgx.Identifier{schema}.Sanitize()
	run := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := run("CREATE SCHEMA " + quoted); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if err := run("DROP SCHEMA " + quoted + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if !strings.Contains(base, "://") {
		// Keyword/value form: host=... dbname=...
		return base + " search_path=" + schema
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
