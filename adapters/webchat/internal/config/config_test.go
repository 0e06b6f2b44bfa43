package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestPrecedenceFlagsEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "webchat.yaml")
	if err := os.WriteFile(file, []byte("company: From File\nlanguage: en\ncolor: \"#000000\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RELEVO_WEBCHAT_COOKIE_SECRET", secret)
	t.Setenv("RELEVO_WEBCHAT_ALLOWED_ORIGINS", "https://www.example.com/, http://127.0.0.1:8000")
	t.Setenv("RELEVO_WEBCHAT_COMPANY", "From Env")
	c, err := Load([]string{"--config", file, "--color", "#abcdef"}, os.Getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Company != "From Env" || c.Language != "en" || c.Color != "#abcdef" {
		t.Fatalf("got company %q language %q color %q; want env over file, flag over all", c.Company, c.Language, c.Color)
	}
	if strings.Join(c.AllowedOrigins, " ") != "https://www.example.com http://127.0.0.1:8000" {
		t.Fatalf("origins = %q", c.AllowedOrigins)
	}
}

func TestInvalidSettingsNamed(t *testing.T) {
	_, err := Load([]string{"--allowed-origins", "example.com/path", "--language", "fr", "--color", "red"}, os.Getenv, io.Discard)
	if err == nil {
		t.Fatal("invalid settings accepted")
	}
	for _, want := range []string{"--allowed-origins", "--cookie-secret", "--language", "--color", "RELEVO_WEBCHAT_COOKIE_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}
