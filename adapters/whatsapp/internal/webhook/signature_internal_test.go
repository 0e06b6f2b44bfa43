package webhook

import (
	"fmt"
	"sync"
	"testing"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
)

// TestVerifierReusesItsHMACsSafely checks that a verifier answers as a
// fresh HMAC would, whatever the signatures it checked before and however
// many goroutines share it.
func TestVerifierReusesItsHMACsSafely(t *testing.T) {
	v := newVerifier("app-secret")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				body := []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","n":%d}`, g*1000+i))
				good := graphtest.Sign("app-secret", body)
				bad := graphtest.Sign("other-secret", body)
				if !v.valid(body, good) {
					t.Errorf("goroutine %d, body %d: a good signature refused", g, i)
					return
				}
				if v.valid(body, bad) {
					t.Errorf("goroutine %d, body %d: a signature with another secret accepted", g, i)
					return
				}
				if v.valid(append(body, ' '), good) {
					t.Errorf("goroutine %d, body %d: a signature of another body accepted", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	if newVerifier("").valid([]byte("{}"), graphtest.Sign("", []byte("{}"))) {
		t.Error("a verifier without a secret accepted a signature")
	}
}
