package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

// readStore is a Store with only what readStmt needs: a writer and a
// reader of their own on one SQLite file, and a statement cache.
func readStore(t *testing.T) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "read.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	w := open()
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT); INSERT INTO kv VALUES ('a', '1'), ('b', '2')`); err != nil {
		t.Fatal(err)
	}
	s := &Store{d: Dialect{CacheStatements: true}, w: w, r: open(), stmts: map[*sql.DB]map[string]*sql.Stmt{}}
	t.Cleanup(func() { _ = s.closeStmts() })
	return s
}

func TestReadStatementsArePreparedOnceAndShared(t *testing.T) {
	s := readStore(t)
	ctx := context.Background()
	const q = `SELECT v FROM kv WHERE k = $1`
	first := s.readStmt(ctx, q)
	if first == nil {
		t.Fatal("readStmt: nil; want the statement prepared on first use")
	}
	// Concurrent first uses of another query end with one statement.
	const q2 = `SELECT count(*) FROM kv WHERE k <> $1`
	var wg sync.WaitGroup
	got := make([]*sql.Stmt, 8)
	for i := range got {
		wg.Go(func() { got[i] = s.readStmt(ctx, q2) })
	}
	wg.Wait()
	for i, st := range got {
		if st == nil || st != got[0] {
			t.Fatalf("caller %d got statement %p, caller 0 %p; want one shared statement", i, st, got[0])
		}
	}
	if again := s.readStmt(ctx, q); again != first {
		t.Fatal("readStmt prepared the same query twice")
	}
	if n := len(s.stmts[s.r]); n != 2 {
		t.Fatalf("cache holds %d statements, want 2", n)
	}
	var v string
	if err := s.queryRow(ctx, q, "b").Scan(&v); err != nil || v != "2" {
		t.Fatalf("queryRow = %q, %v; want 2", v, err)
	}
	rows, err := s.query(ctx, `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if fmt.Sprint(keys) != "[a b]" {
		t.Fatalf("query = %v, want [a b]", keys)
	}
}

func TestReadStatementsFallBackToUnpreparedQueries(t *testing.T) {
	ctx := context.Background()
	const q = `SELECT v FROM kv WHERE k = $1`
	check := func(t *testing.T, s *Store) {
		t.Helper()
		if st := s.readStmt(ctx, q); st != nil {
			t.Fatal("readStmt returned a statement; want none")
		}
		var v string
		if err := s.queryRow(ctx, q, "a").Scan(&v); err != nil || v != "1" {
			t.Fatalf("queryRow = %q, %v; want 1", v, err)
		}
	}
	t.Run("the dialect does not cache", func(t *testing.T) {
		s := readStore(t)
		s.d.CacheStatements = false
		check(t, s)
	})
	t.Run("no reader of its own", func(t *testing.T) {
		s := readStore(t)
		s.r = s.w
		check(t, s)
	})
	t.Run("the cache is full", func(t *testing.T) {
		s := readStore(t)
		for i := range maxCachedStatements {
			if s.readStmt(ctx, fmt.Sprintf("SELECT %d", i)) == nil {
				t.Fatalf("statement %d not cached", i)
			}
		}
		check(t, s)
	})
	t.Run("the store closed its statements", func(t *testing.T) {
		s := readStore(t)
		if err := s.closeStmts(); err != nil {
			t.Fatal(err)
		}
		check(t, s)
	})
	t.Run("the query does not prepare", func(t *testing.T) {
		s := readStore(t)
		if st := s.readStmt(ctx, `SELECT nope FROM nowhere`); st != nil {
			t.Fatal("readStmt prepared a query that cannot prepare")
		}
		if len(s.stmts[s.r]) != 0 {
			t.Fatal("a failed preparation was cached")
		}
	})
}
