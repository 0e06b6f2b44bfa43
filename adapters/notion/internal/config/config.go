// Package config reads the Notion adapter's settings the way the server and
// the other adapters read theirs: flags, RELEVO_NOTION_* environment
// variables and an optional YAML file given with --config (keys are the flag
// names); flags win over the environment, which wins over the file.
//
// The variable of a flag is RELEVO_NOTION_ and the flag in upper case with
// underscores, except two names kept from the adapter's first release: the
// notion-* flags drop the repeated word (RELEVO_NOTION_TOKEN is
// --notion-token, RELEVO_NOTION_URL --notion-url), and --token, the Relevo
// server's key, is RELEVO_NOTION_SERVER_TOKEN.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/peterbourgon/ff/v3"

	"github.com/relevo/relevo/adapters/internal/settings"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/internal/webhook"
)

// EnvPrefix starts every environment variable (RELEVO_NOTION_LISTEN, ...).
const EnvPrefix = "RELEVO_NOTION"

// Config holds every setting of the adapter and of its setup command.
type Config struct {
	// Listen is the address of the webhook HTTP server.
	Listen string
	// Server is the Relevo gRPC server (host:port).
	Server string
	// Token is the API key for the server (role desk).
	Token string
	// NotionToken is the integration's secret.
	NotionToken string
	// DatabaseID is the ticket database, in dashed UUID form.
	DatabaseID string
	// WebhookSecret is the value of the header the "Send webhook" action
	// sends; WebhookSecretHeader is its name.
	WebhookSecret       string
	WebhookSecretHeader string
	// WebhookVerificationTok signs integration webhooks; it is read from
	// WebhookVerificationFile when not given, where Notion's verification
	// request leaves it.
	WebhookVerificationTok  string
	WebhookVerificationFile string
	// InsecureNoWebhookSecret accepts unauthenticated webhooks (local
	// development only).
	InsecureNoWebhookSecret bool
	// NotionURL, NotionVersion and NotionRate configure the Notion client.
	NotionURL     string
	NotionVersion string
	NotionRate    float64
	// MaxBody is the largest webhook body accepted, in bytes.
	MaxBody int64
	// Names and Labels are the database's properties and status options.
	Names  ticketdb.Names
	Labels ticketdb.Labels
	// LogLevel and LogFormat configure logging.
	LogLevel  slog.Level
	LogFormat string

	// The setup command only.
	ParentPage string
	Title      string
	PublicURL  string
}

// settingError names the setting that is wrong, as a flag and as a
// variable.
func settingError(flagName, problem string) error {
	return &settings.Error{Flag: flagName, Var: EnvName(flagName), Problem: problem}
}

// EnvName is the environment variable of a flag (see the package comment).
func EnvName(flagName string) string {
	name := strings.TrimPrefix(flagName, "notion-")
	if flagName == "token" {
		name = "server-token"
	}
	return settings.EnvName(EnvPrefix, name)
}

// Load reads the adapter's settings from args, the environment (through
// getenv, os.Getenv in main) and the --config file, and validates them.
// Usage and flag errors are written to output. On --help it returns
// flag.ErrHelp.
func Load(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	return load(args, getenv, output, false)
}

// LoadSetup reads the settings of the setup subcommand like Load.
func LoadSetup(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	return load(args, getenv, output, true)
}

func load(args []string, getenv func(string) string, output io.Writer, setup bool) (Config, error) {
	name := "notion"
	if setup {
		name = "notion setup"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	var c Config
	names, labels := ticketdb.DefaultNames(), ticketdb.DefaultLabels()
	var logLevel string
	var maxBody float64
	str := func(p *string, flagName, def, usage string) {
		fs.StringVar(p, flagName, def, usage+" ["+EnvName(flagName)+"]")
	}
	// Shared by the adapter and setup.
	str(&c.NotionToken, "notion-token", "", "Notion integration token (internal integration secret); required")
	str(&c.NotionURL, "notion-url", "https://api.notion.com", "Notion API base URL")
	str(&c.NotionVersion, "notion-version", "2022-06-28", "Notion-Version header")
	fs.Float64Var(&c.NotionRate, "notion-rate", 3, "Notion requests per second, on average ["+EnvName("notion-rate")+"]")
	str(&c.WebhookSecret, "webhook-secret", "", "value of the secret header the \"Send webhook\" action sends")
	str(&c.WebhookSecretHeader, "webhook-secret-header", webhook.DefaultSecretHeader, "name of that header")
	str(&names.Question, "prop-question", names.Question, "title property: the question")
	str(&names.Answer, "prop-answer", names.Answer, "rich text property: the specialist's answer")
	str(&names.Contact, "prop-contact", names.Contact, "phone number or rich text property: the customer; \"-\" if the database has none")
	str(&names.TicketID, "prop-id", names.TicketID, "rich text property: the ticket id; \"-\" if the database has none")
	str(&names.Status, "prop-status", names.Status, "status or select property: the ticket state; \"-\" if the database has none")
	str(&names.Learn, "prop-learn", names.Learn, "checkbox property the specialist ticks to have the answer learned (added when missing); \"-\" to let the server's learning policy alone decide")
	str(&labels.Pending, "label-pending", labels.Pending, "status option of open tickets")
	str(&labels.Sent, "label-sent", labels.Sent, "status option of answered tickets")
	str(&labels.Closed, "label-closed", labels.Closed, "status option of closed tickets")
	str(&logLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "text", "text or json")
	str(new(string), "config", "", "optional YAML file with any of these settings (keys are the flag names)")
	if setup {
		str(&c.ParentPage, "parent-page", "", "id or URL of the Notion page to create the database under; required")
		str(&c.Title, "title", "Tickets de soporte", "title of the new database")
		str(&c.PublicURL, "public-url", "", "public base URL of this adapter, to print the webhook URL (e.g. https://relevo.example.com)")
	} else {
		str(&c.Listen, "listen", "127.0.0.1:8091", "address of the webhook HTTP server")
		str(&c.Server, "server", "127.0.0.1:50051", "Relevo server gRPC address")
		str(&c.Token, "token", "", "API key for the Relevo server (role desk)")
		str(&c.DatabaseID, "database-id", "", "id or URL of the Notion ticket database; required")
		str(&c.WebhookVerificationTok, "webhook-verification-token", "", "verification token of an integration webhook subscription (signs X-Notion-Signature)")
		str(&c.WebhookVerificationFile, "webhook-verification-token-file", "", "file that receives the token of Notion's verification request (mode 0600, never logged) and holds it across restarts")
		fs.Float64Var(&maxBody, "max-body", 1<<20, "largest webhook body accepted, in bytes ["+EnvName("max-body")+"]")
		fs.BoolVar(&c.InsecureNoWebhookSecret, "insecure-no-webhook-secret", false,
			"accept unauthenticated webhooks (local development only) ["+EnvName("insecure-no-webhook-secret")+"]")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s [flags]\n\n", fs.Name())
		if setup {
			fmt.Fprint(fs.Output(), "Creates the ticket database under a Notion page and prints what to configure next.\n")
		} else {
			fmt.Fprint(fs.Output(), "Mirrors Relevo's tickets into a Notion database and hands the specialists' answers\n"+
				"to the server. \"notion setup --help\" creates the database.\n")
		}
		fmt.Fprint(fs.Output(), "\nEvery flag can also be set with the environment variable in brackets or in the\n"+
			"YAML file given with --config. Precedence: flags, then environment, then file.\n\n")
		fs.PrintDefaults()
	}

	// EnvName, not ff's own naming: RELEVO_NOTION_TOKEN has meant
	// --notion-token, not --token, since the first release. One file
	// serves the adapter and its setup command, which has fewer settings.
	if err := settings.Parse(fs, args, getenv, EnvName, ff.WithIgnoreUndefined(setup)); err != nil {
		return c, err
	}
	// "-" names no property, also from the environment, where an empty
	// value means "not set".
	for _, p := range []*string{&names.Contact, &names.TicketID, &names.Status, &names.Learn} {
		if *p == "-" {
			*p = ""
		}
	}
	c.Names, c.Labels = names, labels
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, settingError("log-level", "want debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, settingError("log-format", "want text or json")
	}
	if c.NotionRate <= 0 {
		return c, settingError("notion-rate", "want a positive number")
	}
	if !setup {
		if maxBody < 1024 {
			return c, settingError("max-body", "want a number of bytes, at least 1024")
		}
		c.MaxBody = int64(maxBody)
	}
	return c, c.validate(setup)
}

func (c *Config) validate(setup bool) error {
	if c.NotionToken == "" {
		return settingError("notion-token", "required: the integration's secret from notion.so/my-integrations")
	}
	u, err := url.Parse(c.NotionURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return settingError("notion-url", "want an http(s) URL")
	}
	if c.NotionVersion == "" {
		return settingError("notion-version", "required")
	}
	if c.WebhookSecretHeader == "" || strings.ContainsAny(c.WebhookSecretHeader, " :\r\n") {
		return settingError("webhook-secret-header", "want a header name")
	}
	if c.Names.Question == "" {
		return settingError(ticketdb.SettingQuestion, "required")
	}
	if c.Names.Answer == "" {
		return settingError(ticketdb.SettingAnswer, "required")
	}
	if c.Names.Status != "" {
		for flagName, l := range map[string]string{"label-pending": c.Labels.Pending, "label-sent": c.Labels.Sent, "label-closed": c.Labels.Closed} {
			if l == "" || strings.Contains(l, ",") {
				return settingError(flagName, "want a non-empty option name without commas")
			}
		}
	}
	if setup {
		id, ok := notionID(c.ParentPage)
		if !ok {
			return settingError("parent-page", "required: the id or URL of a page shared with the integration")
		}
		c.ParentPage = id
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return settingError("listen", "want host:port")
	}
	if c.Server == "" {
		return settingError("server", "required")
	}
	id, ok := notionID(c.DatabaseID)
	if !ok {
		return settingError("database-id", "required: the id or URL of the ticket database (run the setup subcommand to create one)")
	}
	c.DatabaseID = id
	if c.WebhookVerificationTok == "" && c.WebhookVerificationFile != "" {
		// The token a verification request left there, once the operator
		// has pasted it in Notion and restarted.
		b, err := os.ReadFile(c.WebhookVerificationFile)
		switch {
		case err == nil:
			c.WebhookVerificationTok = strings.TrimSpace(string(b))
		case !errors.Is(err, os.ErrNotExist):
			return settingError("webhook-verification-token-file", err.Error())
		}
	}
	if c.WebhookSecret == "" && c.WebhookVerificationTok == "" && !c.InsecureNoWebhookSecret {
		return settingError("webhook-secret", "required, so that nobody else can answer tickets (or --insecure-no-webhook-secret for local development)")
	}
	if c.WebhookSecret != "" && len(c.WebhookSecret) < 16 {
		return settingError("webhook-secret", "too short; use at least 16 random characters")
	}
	return nil
}

// notionID extracts a Notion id from an id (with or without dashes) or a
// page URL, and returns it in dashed UUID form.
func notionID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Path[strings.LastIndex(u.Path, "/")+1:]
		s = s[max(0, strings.LastIndex(s, "-")+1):]
		if len(s) != 32 {
			return "", false
		}
	}
	hex := strings.ToLower(strings.ReplaceAll(s, "-", ""))
	if len(hex) != 32 || (len(s) != 32 && len(s) != 36) {
		return "", false
	}
	for _, r := range hex {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return "", false
		}
	}
	return hex[:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:], true
}
