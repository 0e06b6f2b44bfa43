// Package console serves the operator console: a static single-page
// application embedded in the binary that talks only to the public REST
// API (/v1), with the caller's admin key. The server adds nothing for it
// but these files.
package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Options configure the console.
type Options struct {
	// Language of the interface, "es" or "en" (the company profile's).
	Language string
	// Company is the company's name, shown in the title.
	Company string
	// KeysRequired tells the console to ask for an admin key before
	// anything else (the server was started with --api-keys).
	KeysRequired bool
	// Exposed is true when the HTTP listener accepts connections from
	// beyond loopback; without keys the console then refuses to load.
	Exposed bool
}

// Handler serves the console under prefix (e.g. "/console/").
func Handler(prefix string, o Options) (http.Handler, error) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	raw, err := fs.ReadFile(static, "index.html")
	if err != nil {
		return nil, err
	}
	tpl, err := template.New("index").Parse(string(raw))
	if err != nil {
		return nil, err
	}
	lang := o.Language
	if lang != "en" {
		lang = "es"
	}
	var index bytes.Buffer
	if err := tpl.Execute(&index, map[string]any{
		"Lang": lang, "Company": o.Company, "KeysRequired": o.KeysRequired,
	}); err != nil {
		return nil, err
	}
	assets := http.StripPrefix(strings.TrimSuffix(prefix, "/"), http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Exposed && !o.KeysRequired {
			// Like the API: no open console on a reachable address.
			http.Error(w, "the console needs API keys (--api-keys) when the server listens beyond loopback", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// Only our own scripts and the API; the key never leaves for
		// another origin.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Cache-Control", "no-cache")
		rest := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(prefix, "/"))
		if rest == "" || rest == "/" || rest == "/index.html" || path.Ext(rest) == "" {
			// The application's own routes live in the fragment; any
			// extension-less path gets the page.
			h.Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(index.Bytes())
			return
		}
		assets.ServeHTTP(w, r)
	}), nil
}
