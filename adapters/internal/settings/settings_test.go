package settings

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peterbourgon/ff/v3"
)

type values struct {
	listen, server, token string
	rate                  float64
	burst                 int
	ttl                   time.Duration
	insecure              bool
}

func flags(v *values) *flag.FlagSet {
	fs := flag.NewFlagSet("adapter", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&v.listen, "listen", "127.0.0.1:1", "")
	fs.StringVar(&v.server, "server", "127.0.0.1:2", "")
	fs.StringVar(&v.token, "token", "", "")
	fs.Float64Var(&v.rate, "rate", 1, "")
	fs.IntVar(&v.burst, "burst", 1, "")
	fs.DurationVar(&v.ttl, "ttl", time.Hour, "")
	fs.BoolVar(&v.insecure, "insecure", false, "")
	fs.String("config", "", "")
	return fs
}

func envName(flagName string) string { return EnvName("RELEVO_TEST", flagName) }

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFlagsWinOverTheEnvironmentWhichWinsOverTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "adapter.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:10\nserver: file:50051\ntoken: from-file\nrate: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var v values
	err := Parse(flags(&v), []string{"--listen", "127.0.0.1:30"}, getenv(map[string]string{
		"RELEVO_TEST_CONFIG": file, "RELEVO_TEST_LISTEN": "127.0.0.1:20", "RELEVO_TEST_SERVER": "env:50051",
	}), envName)
	if err != nil {
		t.Fatal(err)
	}
	if v.listen != "127.0.0.1:30" || v.server != "env:50051" || v.token != "from-file" || v.rate != 7 || v.burst != 1 {
		t.Errorf("got %+v; want the flag's listen, the environment's server, the file's token and rate, the default burst", v)
	}
}

func TestTheEnvironmentIsReadUnderTheNamesGiven(t *testing.T) {
	// An adapter may keep names that do not follow the flag's.
	env := func(flagName string) string {
		if flagName == "token" {
			return "RELEVO_TEST_SERVER_TOKEN"
		}
		return envName(flagName)
	}
	var v values
	if err := Parse(flags(&v), nil, getenv(map[string]string{"RELEVO_TEST_SERVER_TOKEN": "key", "RELEVO_TEST_TOKEN": "not this"}), env); err != nil {
		t.Fatal(err)
	}
	if v.token != "key" {
		t.Errorf("token %q, want the one of RELEVO_TEST_SERVER_TOKEN", v.token)
	}
}

func TestValuesTheFlagsCannotTakeNameFlagAndVariable(t *testing.T) {
	var v values
	err := Parse(flags(&v), nil, getenv(map[string]string{
		"RELEVO_TEST_INSECURE": "maybe", "RELEVO_TEST_RATE": "fast", "RELEVO_TEST_BURST": "many", "RELEVO_TEST_TTL": "a year",
	}), envName)
	for _, want := range []string{
		`--insecure (RELEVO_TEST_INSECURE): cannot use "maybe": want true or false`,
		`--rate (RELEVO_TEST_RATE): cannot use "fast": want a number`,
		`--burst (RELEVO_TEST_BURST): cannot use "many": want a whole number`,
		`--ttl (RELEVO_TEST_TTL): cannot use "a year": want a duration`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Errorf("error %v is no *Error", err)
	}
}

func TestArgumentsTheAdaptersDoNotTakeAreRefused(t *testing.T) {
	var v values
	if err := Parse(flags(&v), []string{"serve"}, getenv(nil), envName); err == nil || !strings.Contains(err.Error(), `"serve"`) {
		t.Errorf("a positional argument: %v, want it refused by name", err)
	}
	if err := Parse(flags(&v), []string{"--help"}, getenv(nil), envName); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v, want flag.ErrHelp", err)
	}
	file := filepath.Join(t.TempDir(), "adapter.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:10\nunknown: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Parse(flags(&v), []string{"--config", file}, getenv(nil), envName); err == nil {
		t.Error("a file key that is no flag was accepted")
	}
	if err := Parse(flags(&v), []string{"--config", file}, getenv(nil), envName, ff.WithIgnoreUndefined(true)); err != nil {
		t.Errorf("with ff.WithIgnoreUndefined: %v", err)
	}
}

func TestProblemsListEveryInvalidSetting(t *testing.T) {
	p := NewProblems(envName)
	if err := p.Err(); err != nil {
		t.Fatalf("no problems: %v", err)
	}
	p.Add("listen", "%q is not host:port", "localhost")
	p.Add("server", "is required")
	want := "invalid settings:\n" +
		`--listen (RELEVO_TEST_LISTEN): "localhost" is not host:port` + "\n" +
		"--server (RELEVO_TEST_SERVER): is required"
	if err := p.Err(); err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
