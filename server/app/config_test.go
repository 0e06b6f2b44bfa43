package app

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestParseConfigDefaultsListenOnLoopbackWithSQLite(t *testing.T) {
	c, err := ParseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCListen != "127.0.0.1:50051" || c.HTTPListen != "127.0.0.1:8080" || c.Database != "./data/relevo.db" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestParseConfigRefusesNonLoopbackWithoutKeys(t *testing.T) {
	for _, args := range [][]string{
		{"--grpc-listen", "0.0.0.0:50051"},
		{"--http-listen", ":8080"},
		{"--grpc-listen", "192.0.2.10:50051"},
	} {
		_, err := ParseConfig(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "without API keys") {
			t.Errorf("%v: got %v, want a refusal that explains keys are needed", args, err)
		}
	}
	if _, err := ParseConfig([]string{"--grpc-listen", "0.0.0.0:50051", "--http-listen", "0.0.0.0:8080", "--api-keys", "admin:0123456789abcdef"}, io.Discard); err != nil {
		t.Errorf("with keys: %v", err)
	}
}

func TestParseConfigNamesTheInvalidSetting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workers", "0"}, "--workers"},
		{[]string{"--run-cpu-slots", "-2"}, "--run-cpu-slots"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--grpc-listen", "nonsense"}, "--grpc-listen"},
		{[]string{"--lease", "1ms"}, "--lease"},
		{[]string{"--profile", "/does/not/exist.yaml"}, "--profile"},
	} {
		_, err := ParseConfig(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}

func TestParseConfigReadsEnvironment(t *testing.T) {
	t.Setenv("RELEVO_WORKERS", "7")
	t.Setenv("RELEVO_API_KEYS", "admin:0123456789abcdef, adapter:fedcba9876543210")
	c, err := ParseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers != 7 || len(c.APIKeys) != 2 {
		t.Fatalf("env not applied: workers=%d keys=%v", c.Workers, c.APIKeys)
	}
	c, err = ParseConfig([]string{"--workers", "9"}, io.Discard)
	if err != nil || c.Workers != 9 {
		t.Fatalf("flags must win over env: %v %d", err, c.Workers)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out strings.Builder
	_, err := ParseConfig([]string{"--help"}, &out)
	if err != ErrHelp {
		t.Fatalf("got %v, want ErrHelp", err)
	}
	for _, flag := range []string{"grpc-listen", "http-listen", "database", "profile", "api-keys", "workers", "embedding-model", "config"} {
		if !strings.Contains(out.String(), "-"+flag) {
			t.Errorf("--help does not list --%s", flag)
		}
	}
}

func TestAPIKeysComeFromAFileOrTheEnvironment(t *testing.T) {
	file := t.TempDir() + "/keys"
	if err := os.WriteFile(file, []byte("# the WhatsApp adapter\nadapter:0123456789abcdef:whatsapp\n\ndesk:fedcba9876543210\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig([]string{"--api-keys-file", file, "--grpc-listen", "0.0.0.0:50051"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.APIKeys) != 2 || c.APIKeys[0] != "adapter:0123456789abcdef:whatsapp" || c.APIKeysOnCommandLine {
		t.Fatalf("keys %q, on the command line %v", c.APIKeys, c.APIKeysOnCommandLine)
	}
	if _, err := ParseConfig([]string{"--api-keys-file", file + ".missing"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--api-keys-file") {
		t.Errorf("a missing key file: %v, want an error naming --api-keys-file", err)
	}
	t.Setenv("RELEVO_API_KEYS", "admin:0123456789abcdef")
	if c, err := ParseConfig(nil, io.Discard); err != nil || c.APIKeysOnCommandLine {
		t.Errorf("keys from the environment: %v, flagged as on the command line: %v", err, c.APIKeysOnCommandLine)
	}
	if c, err := ParseConfig([]string{"--api-keys=admin:0123456789abcdef"}, io.Discard); err != nil || !c.APIKeysOnCommandLine {
		t.Errorf("keys as an argument: %v, flagged: %v; want them flagged", err, c.APIKeysOnCommandLine)
	}
}

func TestAMetricsAddressBeyondLoopbackNeedsKeys(t *testing.T) {
	if _, err := ParseConfig([]string{"--metrics-listen", "0.0.0.0:9090"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--metrics-listen") {
		t.Errorf("got %v, want a refusal naming --metrics-listen", err)
	}
}
