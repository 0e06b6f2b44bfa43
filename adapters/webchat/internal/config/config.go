// Package config reads the web chat adapter's settings the way the server
// reads its own: flags, RELEVO_WEBCHAT_<FLAG> environment variables and an
// optional YAML file given with --config; flags win over the environment,
// which wins over the file.
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/relevo/relevo/adapters/internal/settings"
)

// EnvPrefix starts every environment variable (RELEVO_WEBCHAT_LISTEN, ...).
const EnvPrefix = "RELEVO_WEBCHAT"

// Config holds the adapter's settings.
type Config struct {
	// Listen is the address browsers reach (behind a TLS proxy in
	// production).
	Listen string
	// Server is the Relevo gRPC server (host:port).
	Server string
	// Token is the API key for ChannelService (role adapter).
	Token string
	// HistoryToken is the API key used to read a visitor's conversation
	// (ConversationService.GetConversation); empty: Token.
	HistoryToken string
	// AllowedOrigins are the sites (scheme://host[:port]) whose pages may
	// embed the widget.
	AllowedOrigins []string
	// CookieSecret signs the visitor cookie.
	CookieSecret string
	// IdentitySecret verifies the user hashes of identified visitors; empty
	// turns identity verification off.
	IdentitySecret string
	// CookieTTL is how long an anonymous visitor keeps their id.
	CookieTTL time.Duration
	// Company, Language, Color, TextColor and Welcome configure the widget.
	Company   string
	Language  string
	Color     string
	TextColor string
	Welcome   string
	// MaxMessageChars bounds what a visitor may send in one message.
	MaxMessageChars int
	// RatePerMinute and Burst bound how many messages a visitor sends.
	RatePerMinute float64
	Burst         int
	// AddressRatePerMinute and AddressBurst bound the messages of all the
	// visitors of one network address together.
	AddressRatePerMinute float64
	AddressBurst         int
	// ClientIPHeader is the proxy's header holding the browser's address.
	ClientIPHeader string
	// LogLevel and LogFormat configure logging.
	LogLevel  slog.Level
	LogFormat string
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// envName returns the environment variable of a flag, e.g. cookie-secret →
// RELEVO_WEBCHAT_COOKIE_SECRET.
func envName(flagName string) string { return settings.EnvName(EnvPrefix, flagName) }

// Load parses args, the environment (through getenv, os.Getenv in main) and
// the --config file, and validates the result. Usage and errors are written
// to output. On --help it returns flag.ErrHelp.
func Load(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("webchat", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8092", "address of the HTTP server browsers reach")
	fs.StringVar(&c.Server, "server", "127.0.0.1:50051", "Relevo gRPC server, host:port")
	fs.StringVar(&c.Token, "token", "", "API key for the Relevo server, role adapter (empty for a loopback server without keys)")
	fs.StringVar(&c.HistoryToken, "history-token", "", "API key allowed to read conversations, to show a returning visitor their history (empty: --token)")
	origins := fs.String("allowed-origins", "", "comma-separated origins (https://www.example.com) whose pages may embed the widget (required)")
	fs.StringVar(&c.CookieSecret, "cookie-secret", "", "secret of at least 32 characters that signs the visitor cookie (required)")
	fs.StringVar(&c.IdentitySecret, "identity-secret", "", "secret shared with the company's backend to verify user_hash = HMAC-SHA256(secret, user_id); empty: identified visitors are refused")
	fs.DurationVar(&c.CookieTTL, "cookie-ttl", 365*24*time.Hour, "how long a visitor keeps their id")
	fs.StringVar(&c.Company, "company", "", "company name shown in the widget's header (empty: the company profile's, read from the server)")
	fs.StringVar(&c.Language, "language", "", "widget language, es or en (empty: the company profile's, read from the server)")
	fs.StringVar(&c.Color, "color", "#1f6feb", "widget accent colour, #rrggbb")
	fs.StringVar(&c.TextColor, "text-color", "#ffffff", "text colour on the accent colour, #rrggbb")
	fs.StringVar(&c.Welcome, "welcome", "", "first line the widget shows (empty: the company profile's greeting, or a default in the widget's language)")
	fs.IntVar(&c.MaxMessageChars, "max-message-chars", 2000, "longest message a visitor may send, in characters")
	fs.Float64Var(&c.RatePerMinute, "rate-per-minute", 20, "messages a visitor may send per minute, sustained")
	fs.IntVar(&c.Burst, "burst", 5, "messages a visitor may send at once above the sustained rate")
	fs.Float64Var(&c.AddressRatePerMinute, "address-rate-per-minute", 120, "messages all the visitors of one network address may send per minute, sustained (0: no bound per address)")
	fs.IntVar(&c.AddressBurst, "address-burst", 30, "messages the visitors of one address may send at once above the sustained rate")
	fs.StringVar(&c.ClientIPHeader, "client-ip-header", "", "header in which the proxy in front of the adapter gives the browser's address, e.g. X-Forwarded-For (its last entry) or X-Real-IP; empty: the connection's address. Set it behind a proxy, or all visitors share the proxy's bound")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.String("config", "", "optional YAML file with any of these settings (keys are the flag names)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: webchat [flags]\n\n"+
			"Serves Relevo's embeddable web chat widget and connects it to a Relevo server.\n"+
			"Every flag can also be set with an environment variable RELEVO_WEBCHAT_<FLAG>\n"+
			"(upper case, dashes as underscores) or in the YAML file given with --config.\n"+
			"Precedence: flags, then environment, then file.\n\n")
		fs.PrintDefaults()
	}
	if err := settings.Parse(fs, args, getenv, envName); err != nil {
		return c, err
	}
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, strings.TrimSuffix(o, "/"))
		}
	}
	if c.HistoryToken == "" {
		c.HistoryToken = c.Token
	}

	p := settings.NewProblems(envName)
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		p.Add("listen", "%q is not host:port", c.Listen)
	}
	if c.Server == "" {
		p.Add("server", "is required")
	}
	if len(c.AllowedOrigins) == 0 {
		p.Add("allowed-origins", "is required: name the sites that embed the widget")
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
			p.Add("allowed-origins", "%q is not an origin such as https://www.example.com", o)
		}
	}
	if len(c.CookieSecret) < 32 {
		p.Add("cookie-secret", "must be at least 32 characters")
	}
	if c.IdentitySecret != "" && len(c.IdentitySecret) < 16 {
		p.Add("identity-secret", "must be at least 16 characters")
	}
	if c.CookieTTL < time.Minute {
		p.Add("cookie-ttl", "must be at least 1m")
	}
	if c.Language != "" && c.Language != "es" && c.Language != "en" {
		p.Add("language", "%q is not es or en", c.Language)
	}
	if !colorRe.MatchString(c.Color) {
		p.Add("color", "%q is not #rrggbb", c.Color)
	}
	if !colorRe.MatchString(c.TextColor) {
		p.Add("text-color", "%q is not #rrggbb", c.TextColor)
	}
	if c.MaxMessageChars < 1 || c.MaxMessageChars > 16000 {
		p.Add("max-message-chars", "%d is not between 1 and 16000", c.MaxMessageChars)
	}
	if c.RatePerMinute <= 0 {
		p.Add("rate-per-minute", "must be positive")
	}
	if c.Burst < 1 {
		p.Add("burst", "must be at least 1")
	}
	if c.AddressRatePerMinute < 0 {
		p.Add("address-rate-per-minute", "must not be negative")
	}
	if c.AddressRatePerMinute > 0 && c.AddressBurst < 1 {
		p.Add("address-burst", "must be at least 1")
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		p.Add("log-level", "%q is not debug, info, warn or error", *logLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p.Add("log-format", "%q is not text or json", c.LogFormat)
	}
	return c, p.Err()
}
