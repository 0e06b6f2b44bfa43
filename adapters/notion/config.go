package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	"github.com/relevo/relevo/adapters/notion/internal/webhook"
)

// config holds every setting; each has a flag and an environment variable.
type config struct {
	Listen                  string
	Server                  string
	Token                   string
	NotionToken             string
	DatabaseID              string
	WebhookSecret           string
	WebhookSecretHeader     string
	WebhookVerificationTok  string
	InsecureNoWebhookSecret bool
	NotionURL               string
	NotionVersion           string
	NotionRate              float64
	MaxBody                 int64
	Names                   ticketdb.Names
	Labels                  ticketdb.Labels
	LogLevel                string

	// setup only
	ParentPage string
	Title      string
	PublicURL  string
}

// configError names the setting that is wrong.
type configError struct {
	setting string
	problem string
}

func (e *configError) Error() string {
	return fmt.Sprintf("--%s (%s): %s", e.setting, envName(e.setting), e.problem)
}

// envName is the environment variable of a flag: RELEVO_NOTION_ and the
// flag in upper case, except the notion-* flags, which drop the repeated
// word (RELEVO_NOTION_TOKEN for --notion-token).
func envName(flagName string) string {
	name := strings.TrimPrefix(flagName, "notion-")
	if flagName == "token" {
		name = "server-token"
	}
	return "RELEVO_NOTION_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseConfig reads flags, falling back to the environment for flags not
// given. setup selects the settings of the setup subcommand.
func parseConfig(args []string, getenv func(string) string, out io.Writer, setup bool) (*config, error) {
	name := "notion"
	if setup {
		name = "notion setup"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	c := &config{}
	names, labels := ticketdb.DefaultNames(), ticketdb.DefaultLabels()
	str := func(p *string, flagName, def, usage string) {
		if v := getenv(envName(flagName)); v != "" {
			def = v
		}
		fs.StringVar(p, flagName, def, usage+" ["+envName(flagName)+"]")
	}
	// Shared by run and setup.
	str(&c.NotionToken, "notion-token", "", "Notion integration token (internal integration secret); required")
	str(&c.NotionURL, "notion-url", "https://api.notion.com", "Notion API base URL")
	str(&c.NotionVersion, "notion-version", "2022-06-28", "Notion-Version header")
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
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	var envErr error
	if setup {
		str(&c.ParentPage, "parent-page", "", "id or URL of the Notion page to create the database under; required")
		str(&c.Title, "title", "Tickets de soporte", "title of the new database")
		str(&c.PublicURL, "public-url", "", "public base URL of this adapter, to print the webhook URL (e.g. https://relevo.example.com)")
	} else {
		str(&c.Listen, "listen", "127.0.0.1:8091", "address of the webhook HTTP server")
		str(&c.Server, "server", "127.0.0.1:50051", "Relevo server gRPC address")
		str(&c.Token, "token", "", "API key for the Relevo server (role adapter)")
		str(&c.DatabaseID, "database-id", "", "id or URL of the Notion ticket database; required")
		str(&c.WebhookVerificationTok, "webhook-verification-token", "", "verification token of an integration webhook subscription (signs X-Notion-Signature)")
		num := func(p *float64, flagName string, def float64, usage string) {
			if v := getenv(envName(flagName)); v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					envErr = errors.Join(envErr, &configError{flagName, "want a number"})
				}
				def = f
			}
			fs.Float64Var(p, flagName, def, usage+" ["+envName(flagName)+"]")
		}
		var maxBody float64
		num(&c.NotionRate, "notion-rate", 3, "Notion requests per second, on average")
		num(&maxBody, "max-body", 1<<20, "largest webhook body accepted, in bytes")
		insecure := false
		if v := getenv(envName("insecure-no-webhook-secret")); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				envErr = errors.Join(envErr, &configError{"insecure-no-webhook-secret", "want true or false"})
			}
			insecure = b
		}
		fs.BoolVar(&c.InsecureNoWebhookSecret, "insecure-no-webhook-secret", insecure,
			"accept unauthenticated webhooks (local development only) ["+envName("insecure-no-webhook-secret")+"]")
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if envErr != nil {
			return nil, envErr
		}
		if c.NotionRate <= 0 {
			return nil, &configError{"notion-rate", "want a positive number"}
		}
		if maxBody < 1024 {
			return nil, &configError{"max-body", "want a number of bytes, at least 1024"}
		}
		c.MaxBody = int64(maxBody)
	}
	if setup {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	// "-" names no property, also from the environment, where an empty
	// value means "not set".
	for _, p := range []*string{&names.Contact, &names.TicketID, &names.Status, &names.Learn} {
		if *p == "-" {
			*p = ""
		}
	}
	c.Names, c.Labels = names, labels
	return c, c.validate(setup)
}

func (c *config) validate(setup bool) error {
	if c.NotionToken == "" {
		return &configError{"notion-token", "required: the integration's secret from notion.so/my-integrations"}
	}
	u, err := url.Parse(c.NotionURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &configError{"notion-url", "want an http(s) URL"}
	}
	if c.NotionVersion == "" {
		return &configError{"notion-version", "required"}
	}
	if c.WebhookSecretHeader == "" || strings.ContainsAny(c.WebhookSecretHeader, " :\r\n") {
		return &configError{"webhook-secret-header", "want a header name"}
	}
	if c.Names.Question == "" {
		return &configError{ticketdb.SettingQuestion, "required"}
	}
	if c.Names.Answer == "" {
		return &configError{ticketdb.SettingAnswer, "required"}
	}
	if c.Names.Status != "" {
		for flagName, l := range map[string]string{"label-pending": c.Labels.Pending, "label-sent": c.Labels.Sent, "label-closed": c.Labels.Closed} {
			if l == "" || strings.Contains(l, ",") {
				return &configError{flagName, "want a non-empty option name without commas"}
			}
		}
	}
	if setup {
		id, ok := notionID(c.ParentPage)
		if !ok {
			return &configError{"parent-page", "required: the id or URL of a page shared with the integration"}
		}
		c.ParentPage = id
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return &configError{"listen", "want host:port"}
	}
	if c.Server == "" {
		return &configError{"server", "required"}
	}
	id, ok := notionID(c.DatabaseID)
	if !ok {
		return &configError{"database-id", "required: the id or URL of the ticket database (run the setup subcommand to create one)"}
	}
	c.DatabaseID = id
	if c.WebhookSecret == "" && c.WebhookVerificationTok == "" && !c.InsecureNoWebhookSecret {
		return &configError{"webhook-secret", "required, so that nobody else can answer tickets (or --insecure-no-webhook-secret for local development)"}
	}
	if c.WebhookSecret != "" && len(c.WebhookSecret) < 16 {
		return &configError{"webhook-secret", "too short; use at least 16 random characters"}
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
