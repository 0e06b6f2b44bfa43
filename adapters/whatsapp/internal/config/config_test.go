package config_test

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relevo/relevo/adapters/whatsapp/internal/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var required = map[string]string{
	"RELEVO_WHATSAPP_VERIFY_TOKEN": "vt",
	"RELEVO_WHATSAPP_APP_SECRET":   "secret",
	"RELEVO_WHATSAPP_ACCESS_TOKEN": "EAAG",
}

func with(extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range required {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestLoadDefaultsAndPrecedence(t *testing.T) {
	c, err := config.Load(nil, env(required), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8090" || c.Server != "127.0.0.1:50051" || c.GraphURL != "https://graph.facebook.com" ||
		c.GraphVersion != "v24.0" || c.MaxBody <= config.MetaMaxPayload || c.LogLevel != slog.LevelInfo || c.InsecureSkipSignature {
		t.Errorf("defaults = %+v", c)
	}

	c, err = config.Load([]string{"--listen", "0.0.0.0:9000", "--verify-token", "from-flag"},
		env(with(map[string]string{"RELEVO_WHATSAPP_LISTEN": "127.0.0.1:1", "RELEVO_WHATSAPP_SERVER": "relevo:50051", "RELEVO_WHATSAPP_MAX_BODY": "5000000"})), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" {
		t.Errorf("listen = %q; the flag should win over the environment", c.Listen)
	}
	if c.VerifyToken != "from-flag" || c.Server != "relevo:50051" || c.MaxBody != 5000000 || c.AccessToken != "EAAG" {
		t.Errorf("settings = %+v; unset flags should come from the environment", c)
	}
}

func TestTheFileFillsWhatNeitherFlagsNorEnvironmentSet(t *testing.T) {
	file := filepath.Join(t.TempDir(), "whatsapp.yaml")
	yaml := "listen: 127.0.0.1:9001\nserver: relevo-file:50051\ngraph-version: v23.0\nsend-concurrency: 8\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load([]string{"--config", file, "--listen", "127.0.0.1:9002"},
		env(with(map[string]string{"RELEVO_WHATSAPP_SERVER": "relevo-env:50051"})), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9002" || c.Server != "relevo-env:50051" || c.GraphVersion != "v23.0" || c.SendConcurrency != 8 {
		t.Errorf("listen %q, server %q, graph version %q, concurrency %d: want the flag, the environment, then the file",
			c.Listen, c.Server, c.GraphVersion, c.SendConcurrency)
	}
	if _, err := config.Load([]string{"--config", file + ".missing"}, env(required), &bytes.Buffer{}); err == nil {
		t.Error("a --config file that does not exist was ignored")
	}
}

func TestLoadRefusesInvalidSettingsNamingThem(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "a missing app secret", env: map[string]string{"RELEVO_WHATSAPP_VERIFY_TOKEN": "vt", "RELEVO_WHATSAPP_ACCESS_TOKEN": "a"}, wantErr: "--app-secret"},
		{name: "a missing verify token", env: map[string]string{"RELEVO_WHATSAPP_APP_SECRET": "s", "RELEVO_WHATSAPP_ACCESS_TOKEN": "a"}, wantErr: "--verify-token"},
		{name: "a missing access token", env: map[string]string{"RELEVO_WHATSAPP_APP_SECRET": "s", "RELEVO_WHATSAPP_VERIFY_TOKEN": "v"}, wantErr: "--access-token"},
		{name: "a listen address without port", args: []string{"--listen", "localhost"}, env: required, wantErr: "--listen"},
		{name: "a graph URL without scheme", args: []string{"--graph-url", "graph.facebook.com"}, env: required, wantErr: "--graph-url"},
		{name: "a graph version without v", args: []string{"--graph-version", "24.0"}, env: required, wantErr: "--graph-version"},
		{name: "a fallback template without language", args: []string{"--fallback-template", "hello"}, env: required, wantErr: "--fallback-template-lang"},
		{name: "a body limit that is not a number", args: []string{"--max-body", "3MB"}, env: required, wantErr: "--max-body"},
		{name: "a log level that does not exist", args: []string{"--log-level", "loud"}, env: required, wantErr: "--log-level"},
		{name: "an invalid boolean in the environment", env: with(map[string]string{"RELEVO_WHATSAPP_INSECURE_SKIP_SIGNATURE": "maybe"}), wantErr: "RELEVO_WHATSAPP_INSECURE_SKIP_SIGNATURE"},
		{name: "a stray argument", args: []string{"serve"}, env: required, wantErr: "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(tt.args, env(tt.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestLoadAllowsStartingWithoutAppSecretOnlyWhenSkippingSignatures(t *testing.T) {
	c, err := config.Load([]string{"--insecure-skip-signature"},
		env(map[string]string{"RELEVO_WHATSAPP_VERIFY_TOKEN": "vt", "RELEVO_WHATSAPP_ACCESS_TOKEN": "a"}), &bytes.Buffer{})
	if err != nil || !c.InsecureSkipSignature {
		t.Errorf("Load = %+v, %v; want signature checks skipped", c, err)
	}
}

func TestHelpListsEverySettingWithItsVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := config.Load([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"listen", "server", "token", "verify-token", "app-secret", "access-token", "graph-url", "graph-version",
		"fallback-template", "fallback-template-lang", "insecure-skip-signature", "max-body"} {
		if !strings.Contains(out.String(), "-"+name) || !strings.Contains(out.String(), "RELEVO_WHATSAPP_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))) {
			t.Errorf("help does not list --%s with its variable", name)
		}
	}
}
