// Package config reads the WhatsApp adapter's settings the way the server
// and the other adapters read theirs: flags, RELEVO_WHATSAPP_<FLAG>
// environment variables (upper case, dashes as underscores) and an
// optional YAML file given with --config (keys are the flag names); flags
// win over the environment, which wins over the file.
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"

	"github.com/relevo/relevo/adapters/internal/settings"
)

// EnvPrefix starts every environment variable (RELEVO_WHATSAPP_LISTEN, ...).
const EnvPrefix = "RELEVO_WHATSAPP"

// Config holds the adapter's settings.
type Config struct {
	// Listen is the address of the webhook HTTP server.
	Listen string
	// Server is the Relevo gRPC server (host:port).
	Server string
	// Token is the API key for the server (role adapter).
	Token string
	// VerifyToken answers Meta's webhook verification handshake.
	VerifyToken string
	// AppSecret checks X-Hub-Signature-256 on every webhook POST.
	AppSecret string
	// AccessToken authorises Cloud API calls.
	AccessToken string
	// GraphURL is the Graph API base URL.
	GraphURL string
	// GraphVersion is the Graph API version, e.g. v24.0.
	GraphVersion string
	// FallbackTemplate is sent when a reply is refused outside the
	// 24-hour window (error 131047).
	FallbackTemplate string
	// FallbackTemplateLang is the language code of FallbackTemplate.
	FallbackTemplateLang string
	// InsecureSkipSignature accepts unsigned webhooks (development only).
	InsecureSkipSignature bool
	// MaxBody is the largest webhook body accepted, in bytes.
	MaxBody int64
	// SendConcurrency is how many outbound messages are sent at once.
	SendConcurrency int
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// LogFormat is "text" or "json".
	LogFormat string
}

// MetaMaxPayload is the largest webhook payload Meta documents (3 MB).
const MetaMaxPayload = 3_000_000

var graphVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// envName returns the environment variable of a flag, e.g. verify-token →
// RELEVO_WHATSAPP_VERIFY_TOKEN.
func envName(flagName string) string { return settings.EnvName(EnvPrefix, flagName) }

// Load parses args, fills unset flags from getenv and validates the
// result. Usage and errors are written to output. On --help it returns
// flag.ErrHelp.
func Load(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var c Config
	logLevel, maxBody := "info", strconv.Itoa(4<<20)
	fs := flag.NewFlagSet("whatsapp", flag.ContinueOnError)
	fs.SetOutput(output)
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, def, usage+" (env "+envName(name)+")")
	}
	str(&c.Listen, "listen", "127.0.0.1:8090", "address of the webhook HTTP server")
	str(&c.Server, "server", "127.0.0.1:50051", "Relevo gRPC server, host:port")
	str(&c.Token, "token", "", "API key for the Relevo server, role adapter (empty for a loopback server without keys)")
	str(&c.VerifyToken, "verify-token", "", "verify token configured in the Meta App Dashboard webhook settings (required)")
	str(&c.AppSecret, "app-secret", "", "Meta app secret, checks X-Hub-Signature-256 on every webhook (required)")
	str(&c.AccessToken, "access-token", "", "Cloud API access token, a system-user token in production (required)")
	str(&c.GraphURL, "graph-url", "https://graph.facebook.com", "Graph API base URL")
	str(&c.GraphVersion, "graph-version", "v24.0", "Graph API version")
	str(&c.FallbackTemplate, "fallback-template", "", "approved template sent when a reply falls outside the 24-hour window (error 131047)")
	str(&c.FallbackTemplateLang, "fallback-template-lang", "", "language code of --fallback-template, e.g. es")
	fs.BoolVar(&c.InsecureSkipSignature, "insecure-skip-signature", false,
		"DEVELOPMENT ONLY: accept webhooks without checking their signature (env "+envName("insecure-skip-signature")+")")
	str(&maxBody, "max-body", maxBody, "largest webhook body accepted, in bytes; Meta sends up to 3 MB")
	fs.IntVar(&c.SendConcurrency, "send-concurrency", 64, "outbound messages sent at the same time (env "+envName("send-concurrency")+")")
	str(&logLevel, "log-level", logLevel, "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "text", "text or json")
	str(new(string), "config", "", "optional YAML file with any of these settings (keys are the flag names)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: whatsapp [flags]\n\nConnects the WhatsApp Cloud API to a Relevo server: webhooks in, replies out.\n"+
			"Every flag can also be set with the environment variable named after it or in the\n"+
			"YAML file given with --config. Precedence: flags, then environment, then file.\n\n")
		fs.PrintDefaults()
	}
	if err := settings.Parse(fs, args, getenv, envName); err != nil {
		return c, err
	}

	p := settings.NewProblems(envName)
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		p.Add("listen", "%q is not host:port", c.Listen)
	}
	if c.Server == "" {
		p.Add("server", "is required")
	}
	if c.VerifyToken == "" {
		p.Add("verify-token", "is required: Meta cannot verify the webhook without it")
	}
	if c.AccessToken == "" {
		p.Add("access-token", "is required to send messages")
	}
	if c.AppSecret == "" && !c.InsecureSkipSignature {
		p.Add("app-secret", "is required to check webhook signatures (or pass --insecure-skip-signature for local development)")
	}
	if u, err := url.Parse(c.GraphURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.Add("graph-url", "%q is not an http(s) URL", c.GraphURL)
	}
	if !graphVersion.MatchString(c.GraphVersion) {
		p.Add("graph-version", "%q is not a version such as v24.0", c.GraphVersion)
	}
	if c.FallbackTemplate != "" && c.FallbackTemplateLang == "" {
		p.Add("fallback-template-lang", "is required with --fallback-template")
	}
	if n, err := strconv.ParseInt(maxBody, 10, 64); err != nil || n < 1024 {
		p.Add("max-body", "%q is not a number of bytes of at least 1024", maxBody)
	} else {
		c.MaxBody = n
	}
	if c.SendConcurrency < 1 || c.SendConcurrency > 256 {
		p.Add("send-concurrency", "%d is not between 1 and 256", c.SendConcurrency)
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		p.Add("log-level", "%q is not debug, info, warn or error", logLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p.Add("log-format", "%q is not text or json", c.LogFormat)
	}
	return c, p.Err()
}
