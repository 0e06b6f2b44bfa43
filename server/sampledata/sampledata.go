// Package sampledata holds the sample knowledge base of C1DO1, the
// fictional Spanish e-learning company of the default profile: FAQ
// documents in Markdown, HTML, plain text and PDF, and question/answer
// lists in CSV and JSON. The server loads it on first run so that a fresh
// install answers questions offline.
//
// It is a demo: the server stores its files under the Prefix namespace and
// removes them, with their Q&A entries, when the company uploads its first
// own document.
package sampledata

import (
	"embed"
	"io/fs"
	"strings"
)

// Prefix starts the stored file name of every sample document, and so the
// source of every sample Q&A entry and citation. Uploads through the API
// cannot carry a "/" in their file name, so no company document ever lands
// in this namespace.
const Prefix = "sample/"

// IsSample reports whether a stored file name or entry source belongs to
// the sample knowledge base.
func IsSample(name string) bool { return strings.HasPrefix(name, Prefix) }

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
