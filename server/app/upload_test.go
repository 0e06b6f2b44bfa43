package app

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"sort"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/relevo/relevo/internal/pgtest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// A Q&A file is stored whole or not at all: when one entry cannot be
// stored the upload fails leaving nothing, and uploading the same file
// again stores every entry (it used to report "unchanged" with the entries
// after the failed one missing for good).
func TestFailedQAUploadLeavesNothingAndARetryStoresEverything(t *testing.T) {
	for _, engine := range []struct {
		name    string
		driver  string
		url     func(t *testing.T) string
		trigger []string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "relevo.db") }, []string{
			`CREATE TRIGGER fail_entry BEFORE INSERT ON entries WHEN NEW.question = 'Q3?' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
		}},
		{"postgres", "pgx", func(t *testing.T) string { return pgtest.URL(t, "app") }, []string{
			`CREATE FUNCTION fail_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
				IF NEW.question = 'Q3?' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER fail_entry BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION fail_entry()`,
		}},
	} {
		t.Run(engine.name, func(t *testing.T) {
			url := engine.url(t)
			_, c := startAppWith(t, io.Discard, nil, "--database", url, "--sample-kb=false")
			ctx := context.Background()
			dsn := url
			if engine.driver == "sqlite" {
				dsn = "file:" + url
			}
			db, err := sql.Open(engine.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range engine.trigger {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			file := []byte("question,answer\nQ1?,A1.\nQ2?,A2.\nQ3?,A3.\nQ4?,A4.\nQ5?,A5.\n")
			upload := &relevov1.UploadDocumentRequest{Filename: "faq.csv", Content: file}
			if _, err := c.Knowledge.UploadDocument(ctx, upload); err == nil {
				t.Fatal("upload with a failing entry succeeded")
			}
			if got := questions(t, c.Knowledge); len(got) != 0 {
				t.Fatalf("entries after the failed upload = %q, want none", got)
			}
			docs, err := c.Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{})
			if err != nil || len(docs.GetDocuments()) != 0 {
				t.Fatalf("documents after the failed upload = %v, %v; want none", docs, err)
			}

			if _, err := db.ExecContext(ctx, `DROP TRIGGER fail_entry`+map[string]string{"sqlite": "", "pgx": " ON entries"}[engine.driver]); err != nil {
				t.Fatal(err)
			}
			resp, err := c.Knowledge.UploadDocument(ctx, upload)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if resp.GetUnchanged() {
				t.Fatalf("retry reported unchanged: %v", resp)
			}
			if got, want := questions(t, c.Knowledge), []string{"Q1?", "Q2?", "Q3?", "Q4?", "Q5?"}; !equal(got, want) {
				t.Fatalf("entries after the retry = %q, want %q", got, want)
			}
			again, err := c.Knowledge.UploadDocument(ctx, upload)
			if err != nil || !again.GetUnchanged() {
				t.Fatalf("same file a third time: %v, %v; want unchanged", again, err)
			}
			if got := questions(t, c.Knowledge); len(got) != 5 {
				t.Fatalf("entries after the unchanged upload = %q", got)
			}
		})
	}
}

func questions(t *testing.T, c relevov1.KnowledgeServiceClient) []string {
	t.Helper()
	resp, err := c.ListEntries(context.Background(), &relevov1.ListEntriesRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range resp.GetEntries() {
		out = append(out, e.GetQuestion())
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
