// Package setup is the adapter's setup command: it creates the ticket
// database in Notion and tells the operator what to configure next (the
// API cannot create the "Enviar" button).
package setup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/jomei/notionapi"

	"github.com/relevo/relevo/adapters/notion/internal/config"
	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
)

// Run creates a ticket database under cfg.ParentPage through api and
// prints to out what to configure next.
func Run(ctx context.Context, cfg config.Config, api *notionapi.Client, out io.Writer) error {
	db, err := ticketdb.CreateDatabase(ctx, api, cfg.ParentPage, cfg.Title, cfg.Names, cfg.Labels)
	if err != nil {
		if code, msg, ok := ticketdb.APIError(err); ok {
			return fmt.Errorf("--parent-page: notion answered %s: %s", code, msg)
		}
		return err
	}
	secret, generated := cfg.WebhookSecret, false
	if secret == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("generate webhook secret: %w", err)
		}
		secret, generated = hex.EncodeToString(b), true
	}
	hook := "https://<public host of this adapter>/notion/webhook"
	if cfg.PublicURL != "" {
		hook = strings.TrimSuffix(cfg.PublicURL, "/") + "/notion/webhook"
	}
	fmt.Fprintf(out, "Created the ticket database %q.\n\n", cfg.Title)
	fmt.Fprintf(out, "  database id:  %s\n", db.ID)
	if db.URL != "" {
		fmt.Fprintf(out, "  open it at:   %s\n", db.URL)
	}
	fmt.Fprintf(out, "\nRun the adapter with:\n\n")
	fmt.Fprintf(out, "  RELEVO_NOTION_DATABASE_ID=%s\n", db.ID)
	if generated {
		fmt.Fprintf(out, "  RELEVO_NOTION_WEBHOOK_SECRET=%s   (generated now; keep it secret)\n", secret)
	}
	fmt.Fprintf(out, "\nThen add the send button in Notion (the API cannot create buttons):\n\n")
	fmt.Fprintf(out, "  1. In the database, add a property of type Button named \"Enviar\".\n")
	fmt.Fprintf(out, "  2. Set its action to \"Send webhook\" with:\n")
	fmt.Fprintf(out, "       URL:            %s\n", hook)
	fmt.Fprintf(out, "       custom header:  %s: %s\n", cfg.WebhookSecretHeader, secret)
	fmt.Fprintf(out, "  3. Optionally, add \"Edit property\" %s -> %s to the same button.\n", cfg.Names.Status, cfg.Labels.Sent)
	fmt.Fprintf(out, "\nSpecialists write the answer in %q and press Enviar.\n", cfg.Names.Answer)
	if cfg.Names.Learn != "" {
		fmt.Fprintf(out, "Ticking %q before Enviar has the answer learned at once, even when the server's\n", cfg.Names.Learn)
		fmt.Fprintf(out, "learning.policy is review; unticked, it is learned only under the policy auto.\n")
		fmt.Fprintf(out, "If the button sends only some properties, include %q (else the page is read back).\n", cfg.Names.Learn)
	}
	return nil
}
