package llm

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestCachedEvidenceGroundsAsFreshEvidence checks that answers checked
// against cached passages get the facts fresh evidence would report, under
// concurrent use and past the cache's bound.
func TestCachedEvidenceGroundsAsFreshEvidence(t *testing.T) {
	passages := map[string]string{
		"P1": "El plan mensual cuesta $12.990 y el anual US$ 1,500. Hay 15 % de descuento.",
		"P2": "Escribe a Soporte@C1DO1.com o llama al (2) 2345-6789. Nuestro CEO es Julián Varas.",
	}
	answers := []string{
		"El plan cuesta 12,990 y el anual 1.500 USD.",
		"Llama al +56 2 2345 6789 o escribe a soporte@c1do1.com.",
		"El CEO es Pedro Soto y el plan cuesta $15.000.",
		"Tienes 20% de descuento.",
	}
	allowed := []string{"C1DO1"}
	cache := newEvidenceCache()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				a := answers[(g+i)%len(answers)]
				// Passages the cache has not seen push it past its bound.
				extra := map[string]string{"P3": fmt.Sprintf("Pedido número %d, listo el 3 de marzo.", g*1000+i)}
				for id, text := range passages {
					extra[id] = text
				}
				got := ungrounded(a, extra, allowed, cache.of)
				want := Ungrounded(a, extra, allowed)
				if !slices.Equal(got, want) {
					t.Errorf("answer %q: cached evidence reports %v, fresh evidence %v", a, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if n := len(cache.byText); n > maxCachedEvidence {
		t.Errorf("the cache holds %d passages, more than its bound %d", n, maxCachedEvidence)
	}
}
