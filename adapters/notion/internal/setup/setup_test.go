package setup

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/relevo/relevo/adapters/notion/internal/config"
	"github.com/relevo/relevo/adapters/notion/internal/notionhttp"
	"github.com/relevo/relevo/adapters/notion/notiontest"
)

func TestSetupCreatesTheDatabaseAndPrintsTheButtonSettings(t *testing.T) {
	fake := notiontest.New(t)
	env := map[string]string{"RELEVO_NOTION_TOKEN": notiontest.Token, "RELEVO_NOTION_URL": fake.URL}
	cfg, err := config.LoadSetup([]string{"--parent-page", "98ad959b2b6a477480ee00246fb0ea9b", "--public-url", "https://relevo.example.com/"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	api, err := notionhttp.NewClient(notionhttp.ClientOptions{
		Token: cfg.NotionToken, BaseURL: cfg.NotionURL, Version: cfg.NotionVersion, Rate: cfg.NotionRate, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, api, &out); err != nil {
		t.Fatalf("setup: %v", err)
	}
	var created string
	for _, r := range fake.Requests() {
		if r.Method == "POST" && r.Path == "/v1/databases" {
			created = string(r.Body)
		}
	}
	for _, prop := range []string{`"Pregunta"`, `"Respuesta"`, `"Celular"`, `"ID"`, `"Estado"`, `"Enviado"`, `"Aprender":{"type":"checkbox"`, `98ad959b-2b6a-4774-80ee-00246fb0ea9b`} {
		if !strings.Contains(created, prop) {
			t.Errorf("database create request lacks %s: %s", prop, created)
		}
	}
	for _, want := range []string{"database id:", "https://relevo.example.com/notion/webhook", "X-Relevo-Secret: ", "RELEVO_NOTION_WEBHOOK_SECRET=", `Ticking "Aprender"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("setup output lacks %q:\n%s", want, out.String())
		}
	}
}
