//go:build race

package extract

// The race detector maps shadow memory the address-space limit cannot
// allow for.
const raceEnabled = true
