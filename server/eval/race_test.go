//go:build race

package eval

// raceEnabled: the tests run under the race detector.
const raceEnabled = true
