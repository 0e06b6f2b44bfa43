package sqlstore

import (
	"testing"

	"github.com/relevo/relevo/server/internal/store/storetest"
)

// TestClaimClearsAStalePendingMark: a stale pending mark is cleared by the
// claim that finds it (storetest.ClaimClearsAStalePendingMark).
func TestClaimClearsAStalePendingMark(t *testing.T) {
	s := singleWriterStore(t)
	storetest.ClaimClearsAStalePendingMark(t, s, s.w)
}
