package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/relevo/relevo/adapters/notion/notiontest"
)

func TestConfigNamesTheSettingThatStopsTheStart(t *testing.T) {
	base := map[string]string{
		"RELEVO_NOTION_TOKEN":          "ntn_x",
		"RELEVO_NOTION_DATABASE_ID":    "https://www.notion.so/acme/Tickets-8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b?v=1",
		"RELEVO_NOTION_WEBHOOK_SECRET": "0123456789abcdef0123",
	}
	tests := []struct {
		name    string
		env     map[string]string // overrides; "" removes
		args    []string
		wantErr string // "" for success
	}{
		{name: "a complete environment starts", wantErr: ""},
		{name: "the Notion token is required", env: map[string]string{"RELEVO_NOTION_TOKEN": ""}, wantErr: "--notion-token"},
		{name: "the database id is required", env: map[string]string{"RELEVO_NOTION_DATABASE_ID": ""}, wantErr: "--database-id"},
		{name: "a malformed database id is refused", args: []string{"--database-id", "tickets"}, wantErr: "--database-id"},
		{name: "no webhook secret refuses to start", env: map[string]string{"RELEVO_NOTION_WEBHOOK_SECRET": ""}, wantErr: "--webhook-secret"},
		{name: "the insecure flag allows no secret", env: map[string]string{"RELEVO_NOTION_WEBHOOK_SECRET": ""}, args: []string{"--insecure-no-webhook-secret"}},
		{name: "the insecure setting also comes from the environment", env: map[string]string{"RELEVO_NOTION_WEBHOOK_SECRET": "", "RELEVO_NOTION_INSECURE_NO_WEBHOOK_SECRET": "true"}},
		{name: "a short secret is refused", args: []string{"--webhook-secret", "abc"}, wantErr: "--webhook-secret"},
		{name: "a bad Notion URL is refused", env: map[string]string{"RELEVO_NOTION_URL": "api.notion.com"}, wantErr: "--notion-url"},
		{name: "a zero request rate is refused", args: []string{"--notion-rate", "0"}, wantErr: "--notion-rate"},
		{name: "the answer property is required", args: []string{"--prop-answer", ""}, wantErr: "--prop-answer"},
		{name: "a bad listen address is refused", args: []string{"--listen", "8091"}, wantErr: "--listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := parseConfig(tt.args, func(k string) string { return env[k] }, io.Discard, false)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				if cfg.DatabaseID != "8c1e4f5a-2b3d-4e6f-9a1b-3c5d7e9f1a2b" {
					t.Errorf("database id from a URL = %q", cfg.DatabaseID)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestConfigLetsADashDisableOptionalProperties(t *testing.T) {
	env := map[string]string{"RELEVO_NOTION_TOKEN": "x", "RELEVO_NOTION_DATABASE_ID": "8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b", "RELEVO_NOTION_PROP_CONTACT": "-"}
	cfg, err := parseConfig([]string{"--insecure-no-webhook-secret", "--prop-status", "-", "--prop-id", "Ticket", "--prop-learn", "-"}, func(k string) string { return env[k] }, io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Names.Contact != "" || cfg.Names.Status != "" || cfg.Names.TicketID != "Ticket" || cfg.Names.Learn != "" {
		t.Errorf("names = %+v", cfg.Names)
	}
}

func TestHelpListsEverySettingWithItsEnvironmentVariable(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v", err)
	}
	for _, want := range []string{"-listen", "-server", "-token", "-notion-token", "-database-id", "-webhook-secret", "-webhook-secret-header",
		"-notion-url", "-notion-version", "-prop-question", "RELEVO_NOTION_TOKEN", "RELEVO_NOTION_SERVER_TOKEN", "RELEVO_NOTION_WEBHOOK_SECRET"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %s", want)
		}
	}
}

func TestSetupCreatesTheDatabaseAndPrintsTheButtonSettings(t *testing.T) {
	fake := notiontest.New(t)
	var out bytes.Buffer
	env := map[string]string{"RELEVO_NOTION_TOKEN": notiontest.Token, "RELEVO_NOTION_URL": fake.URL}
	err := run(context.Background(), []string{"setup", "--parent-page", "98ad959b2b6a477480ee00246fb0ea9b", "--public-url", "https://relevo.example.com/"},
		func(k string) string { return env[k] }, &out, io.Discard)
	if err != nil {
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
	if err := run(context.Background(), []string{"setup"}, func(k string) string { return env[k] }, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "--parent-page") {
		t.Errorf("setup without a parent page = %v, want an error naming --parent-page", err)
	}
}
