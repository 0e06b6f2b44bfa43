package storetest

import (
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/relevo/relevo/internal/pgtest"
)

// PostgresEnv names the environment variable holding the URL of the
// PostgreSQL database that tests may use.
const PostgresEnv = pgtest.Env

// PostgresURL returns a URL of the test database whose search_path is a
// new, empty schema of this test, dropped when the test ends. Without
// RELEVO_TEST_POSTGRES_URL the test is skipped, or fails when CI=true.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return pgtest.URL(t, "test")
}
