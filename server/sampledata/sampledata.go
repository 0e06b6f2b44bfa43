// Package sampledata holds the sample knowledge base of C1DO1, the
// fictional Spanish e-learning company of the default profile: FAQ
// documents in Markdown, HTML, plain text and PDF, and question/answer
// lists in CSV and JSON. The server loads it on first run so that a fresh
// install answers questions offline.
package sampledata

import (
	"embed"
	"io/fs"
)

//go:embed kb
var kb embed.FS

// KB returns the sample knowledge base files, at the root of the FS.
func KB() fs.FS {
	sub, err := fs.Sub(kb, "kb")
	if err != nil {
		panic(err) // "kb" is embedded above; Sub cannot fail on it
	}
	return sub
}
