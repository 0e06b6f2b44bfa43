package eval

import "github.com/relevo/relevo/server/internal/agents"

// LoadProfile reads a company profile file for Options.Profile, so tools
// outside a running server (go run ./server eval) can evaluate a company's own profile.
func LoadProfile(path string) (*agents.Profile, error) { return agents.LoadProfile(path) }
