package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			cfg, err := Load(tt.args, func(k string) string { return env[k] }, io.Discard)
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
	cfg, err := Load([]string{"--insecure-no-webhook-secret", "--prop-status", "-", "--prop-id", "Ticket", "--prop-learn", "-"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Names.Contact != "" || cfg.Names.Status != "" || cfg.Names.TicketID != "Ticket" || cfg.Names.Learn != "" {
		t.Errorf("names = %+v", cfg.Names)
	}
}

func TestHelpListsEverySettingWithItsEnvironmentVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help = %v", err)
	}
	for _, want := range []string{"-listen", "-server", "-token", "-notion-token", "-database-id", "-webhook-secret", "-webhook-secret-header",
		"-notion-url", "-notion-version", "-prop-question", "-config", "RELEVO_NOTION_TOKEN", "RELEVO_NOTION_SERVER_TOKEN", "RELEVO_NOTION_WEBHOOK_SECRET", "RELEVO_NOTION_CONFIG"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %s", want)
		}
	}
}

func TestTheVerificationTokenFileIsReadAtStart(t *testing.T) {
	file := t.TempDir() + "/token"
	env := map[string]string{
		"RELEVO_NOTION_TOKEN":                           "ntn_x",
		"RELEVO_NOTION_DATABASE_ID":                     "8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b",
		"RELEVO_NOTION_WEBHOOK_VERIFICATION_TOKEN_FILE": file,
	}
	getenv := func(k string) string { return env[k] }
	if _, err := Load(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "--webhook-secret") {
		t.Fatalf("no secret and no token yet: %v, want the start refused naming --webhook-secret", err)
	}
	if err := os.WriteFile(file, []byte("secret_abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(nil, getenv, io.Discard)
	if err != nil || cfg.WebhookVerificationTok != "secret_abc" {
		t.Fatalf("token %q (%v), want the file's", cfg.WebhookVerificationTok, err)
	}
}

func TestFlagsWinOverTheEnvironmentWhichWinsOverTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "notion.yaml")
	yaml := "notion-token: ntn_file\n" +
		"database-id: 8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b\n" +
		"webhook-secret: from-the-file-0123456789\n" +
		"token: desk-key-from-file\n" +
		"prop-status: \"-\"\n" +
		"notion-rate: 7\n" +
		"listen: 127.0.0.1:9001\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"RELEVO_NOTION_CONFIG":       file,
		"RELEVO_NOTION_TOKEN":        "ntn_env",
		"RELEVO_NOTION_LISTEN":       "127.0.0.1:9002",
		"RELEVO_NOTION_SERVER_TOKEN": "desk-key-from-env",
	}
	cfg, err := Load([]string{"--listen", "127.0.0.1:9003"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9003" {
		t.Errorf("listen = %q, want the flag's", cfg.Listen)
	}
	if cfg.NotionToken != "ntn_env" || cfg.Token != "desk-key-from-env" {
		t.Errorf("notion token %q, server token %q: want the environment's over the file's", cfg.NotionToken, cfg.Token)
	}
	if cfg.WebhookSecret != "from-the-file-0123456789" || cfg.NotionRate != 7 || cfg.Names.Status != "" {
		t.Errorf("secret %q, rate %v, status property %q: want the file's", cfg.WebhookSecret, cfg.NotionRate, cfg.Names.Status)
	}
}

func TestTheEnvironmentKeepsTheNamesOfTheFirstRelease(t *testing.T) {
	// RELEVO_NOTION_TOKEN is the Notion integration's token, never the
	// Relevo key of --token.
	env := map[string]string{
		"RELEVO_NOTION_TOKEN":          "ntn_x",
		"RELEVO_NOTION_SERVER_TOKEN":   "desk-key",
		"RELEVO_NOTION_URL":            "http://127.0.0.1:9999",
		"RELEVO_NOTION_VERSION":        "2025-09-03",
		"RELEVO_NOTION_RATE":           "2.5",
		"RELEVO_NOTION_DATABASE_ID":    "8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b",
		"RELEVO_NOTION_WEBHOOK_SECRET": "0123456789abcdef0123",
		"RELEVO_NOTION_MAX_BODY":       "2048",
	}
	cfg, err := Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NotionToken != "ntn_x" || cfg.Token != "desk-key" || cfg.NotionURL != "http://127.0.0.1:9999" ||
		cfg.NotionVersion != "2025-09-03" || cfg.NotionRate != 2.5 || cfg.MaxBody != 2048 {
		t.Errorf("config = %+v", cfg)
	}
	env["RELEVO_NOTION_RATE"] = "fast"
	if _, err := Load(nil, func(k string) string { return env[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "RELEVO_NOTION_RATE") {
		t.Errorf("a rate that is not a number: %v, want an error naming RELEVO_NOTION_RATE", err)
	}
}

func TestSetupTakesItsOwnSettingsAndSharesTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "notion.yaml")
	// The adapter's file, with settings setup does not have.
	if err := os.WriteFile(file, []byte("notion-token: ntn_x\ndatabase-id: 8c1e4f5a2b3d4e6f9a1b3c5d7e9f1a2b\nlisten: 127.0.0.1:9001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	cfg, err := LoadSetup([]string{"--config", file, "--parent-page", "https://www.notion.so/acme/Soporte-98ad959b2b6a477480ee00246fb0ea9b"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ParentPage != "98ad959b-2b6a-4774-80ee-00246fb0ea9b" || cfg.NotionToken != "ntn_x" || cfg.Title != "Tickets de soporte" {
		t.Errorf("setup config = %+v", cfg)
	}
	if _, err := LoadSetup([]string{"--notion-token", "ntn_x"}, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "--parent-page") {
		t.Errorf("setup without a parent page = %v, want an error naming --parent-page", err)
	}
	if _, err := LoadSetup([]string{"--notion-token", "ntn_x", "--parent-page", "98ad959b2b6a477480ee00246fb0ea9b", "--listen", "127.0.0.1:1"}, getenv, io.Discard); err == nil {
		t.Error("setup accepted --listen, a setting of the adapter")
	}
}
