package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func newTicketsCmd(g *globals) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use:     "tickets",
		Aliases: []string{"ticket"},
		Short:   "List, answer, close and watch hand-off tickets",
	})
	cmd.AddCommand(
		newTicketsListCmd(g),
		newTicketsShowCmd(g),
		newTicketsAnswerCmd(g),
		newTicketsCloseCmd(g),
		newTicketsWatchCmd(g),
	)
	return cmd
}

func newTicketsListCmd(g *globals) *cobra.Command {
	var status, conversation string
	var page pageFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tickets, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := parseEnum("status", status, "TICKET_STATUS_", relevov1.TicketStatus_value)
			if err != nil {
				return err
			}
			return listAll(cmd, g, page, listing[*relevov1.Ticket]{
				what:   "tickets",
				header: []string{"ID", "STATUS", "CONTACT", "CREATED", "QUESTION"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Ticket, string, error) {
					resp, err := c.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{
						Status:         relevov1.TicketStatus(st),
						ConversationId: conversation,
						PageSize:       page.size,
						PageToken:      token,
					})
					return resp.GetTickets(), resp.GetNextPageToken(), err
				},
				row: func(t *relevov1.Ticket) []string {
					return []string{t.GetId(), enumText(t.GetStatus().String(), "TICKET_STATUS_"),
						contactText(t.GetContact()), formatTime(t.GetCreatedAt()), oneLine(t.GetQuestion(), 60)}
				},
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only tickets in this state: open, answered or closed")
	cmd.Flags().StringVar(&conversation, "conversation", "", "only tickets of this conversation id")
	page.register(cmd)
	return cmd
}

func newTicketsShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a ticket: question, contact, context, follow-ups, status and answer",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "get ticket "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.GetTicketResponse, error) {
				return c.Tickets.GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: args[0]})
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp.GetTicket(), printTicket)
		},
	}
}

func printTicket(w io.Writer, t *relevov1.Ticket) error {
	fmt.Fprintf(w, "Ticket        %s\n", t.GetId())
	fmt.Fprintf(w, "Status        %s\n", enumText(t.GetStatus().String(), "TICKET_STATUS_"))
	fmt.Fprintf(w, "Contact       %s\n", contactText(t.GetContact()))
	if p := t.GetContact().GetPhone(); p != "" {
		fmt.Fprintf(w, "Phone         %s\n", cell(p))
	}
	fmt.Fprintf(w, "Conversation  %s\n", t.GetConversationId())
	fmt.Fprintf(w, "Created       %s\n", formatTime(t.GetCreatedAt()))
	if t.GetHandoffReason() != "" {
		fmt.Fprintf(w, "Hand-off      %s\n", cell(t.GetHandoffReason()))
	}
	if t.GetExternalRef() != "" {
		fmt.Fprintf(w, "External ref  %s\n", cell(t.GetExternalRef()))
	}
	if t.GetLastError() != "" {
		fmt.Fprintf(w, "Last error    %s\n", cell(t.GetLastError()))
	}
	fmt.Fprintf(w, "\nQuestion\n%s\n", indent(t.GetQuestion(), "  "))
	if len(t.GetContext()) > 0 {
		fmt.Fprintln(w, "\nContext")
		for _, m := range t.GetContext() {
			fmt.Fprintf(w, "  %s  %s: %s\n", formatTime(m.GetCreatedAt()), authorText(m), oneLine(m.GetText(), 0))
		}
	}
	if len(t.GetFollowUps()) > 0 {
		fmt.Fprintln(w, "\nFollow-ups")
		for _, f := range t.GetFollowUps() {
			fmt.Fprintf(w, "  %s  %s\n", formatTime(f.GetCreatedAt()), oneLine(f.GetText(), 0))
		}
	}
	switch t.GetStatus() {
	case relevov1.TicketStatus_TICKET_STATUS_ANSWERED:
		fmt.Fprintf(w, "\nAnswer (by %s, %s)\n%s\n", orDash(t.GetAnsweredBy()), formatTime(t.GetResolvedAt()), indent(t.GetAnswer(), "  "))
		if t.GetLearnedEntryId() != "" {
			fmt.Fprintf(w, "Learned as entry %s\n", t.GetLearnedEntryId())
		}
		if t.GetNotLearnedReason() != "" {
			fmt.Fprintf(w, "Not learned: %s\n", cell(t.GetNotLearnedReason()))
		}
	case relevov1.TicketStatus_TICKET_STATUS_CLOSED:
		fmt.Fprintf(w, "\nClosed %s: %s\n", formatTime(t.GetResolvedAt()), orDash(t.GetCloseReason()))
	}
	return nil
}

func authorText(m *relevov1.ConversationMessage) string {
	a := enumText(m.GetAuthor().String(), "AUTHOR_")
	if m.GetAuthorName() != "" {
		a += " (" + cell(m.GetAuthorName()) + ")"
	}
	return a
}

func newTicketsAnswerCmd(g *globals) *cobra.Command {
	var text, by string
	var skipLearning, learn bool
	cmd := &cobra.Command{
		Use:   "answer ID --text TEXT",
		Short: "Answer a ticket: the answer goes to the user and into the knowledge base",
		Long: `answer sends the specialist's answer to the user on their channel, learns it
into the knowledge base as the server's learning.policy says (unless
--skip-learning) and marks the ticket answered. --learn approves it yourself:
it answers customers at once even when the policy is review (never when it is
off). --text - reads the answer from stdin. Answering again with the same
text sends nothing twice. --by defaults to $USER.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			answer, err := textValue(text, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if strings.TrimSpace(answer) == "" {
				return usageErrorf("--text is required (use --text - to read it from stdin)")
			}
			if skipLearning && learn {
				return usageErrorf("--learn and --skip-learning contradict each other; give one")
			}
			if !cmd.Flags().Changed("by") {
				by = g.env.getenv("USER")
			}
			req := &relevov1.AnswerTicketRequest{TicketId: args[0], Answer: answer, AnsweredBy: by, SkipLearning: skipLearning}
			if learn {
				req.Learn = relevov1.LearnDecision_LEARN_DECISION_LEARN
			}
			resp, err := callOnce(cmd, g, "answer ticket "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.AnswerTicketResponse, error) {
				return c.Tickets.AnswerTicket(ctx, req)
			})
			if err != nil {
				return err
			}
			if g.json() {
				return writeJSON(cmd.OutOrStdout(), resp)
			}
			msg := fmt.Sprintf("answered %s; the answer is queued to the user", args[0])
			switch {
			case resp.GetAlreadyAnswered():
				msg = fmt.Sprintf("%s already had this answer; nothing was sent again", args[0])
			case resp.GetTicket().GetLearnedEntryId() != "":
				msg += "; learned as entry " + resp.GetTicket().GetLearnedEntryId()
			case resp.GetTicket().GetNotLearnedReason() != "":
				msg += "; not learned: " + resp.GetTicket().GetNotLearnedReason()
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), msg)
			return err
		},
	}
	cmd.Flags().StringVar(&text, "text", "", `the answer (required); "-" reads it from stdin`)
	cmd.Flags().StringVar(&by, "by", "", "who answered, for the record (default $USER)")
	cmd.Flags().BoolVar(&skipLearning, "skip-learning", false, "do not learn the answer into the knowledge base")
	cmd.Flags().BoolVar(&learn, "learn", false, "learn the answer at once, even when the server's learning.policy is review")
	return cmd
}

func newTicketsCloseCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "close ID",
		Short: "Close a ticket without an answer; the bot takes the conversation back",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "close ticket "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.CloseTicketResponse, error) {
				return c.Tickets.CloseTicket(ctx, &relevov1.CloseTicketRequest{TicketId: args[0], Reason: reason})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "closed %s", args[0])
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why it is closed, for the record")
	return cmd
}

func newTicketsWatchCmd(g *globals) *cobra.Command {
	var after int64
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Stream ticket events as they happen",
		Long: `watch prints ticket events in order: first the stored ones after --after
(0 for the whole log), then live ones, until interrupted. It reconnects when
the stream breaks and resumes after the last event printed; it stops when the
server refuses the caller. --timeout does not apply to the stream.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			out := cmd.OutOrStdout()
			// FollowTicketEvents returns nil once interrupted, the normal way
			// to stop watching.
			return relevo.FollowTicketEvents(cmd.Context(), c.Tickets, after, func(_ context.Context, ev *relevov1.TicketEvent) error {
				if g.json() {
					return writeJSON(out, ev)
				}
				return printTicketEvent(out, ev)
			}, relevo.TicketEventsLogger(logger(cmd)))
		},
	}
	cmd.Flags().Int64Var(&after, "after", 0, "start after this event sequence number")
	return cmd
}

func printTicketEvent(w io.Writer, ev *relevov1.TicketEvent) error {
	t := ev.GetTicket()
	detail := ""
	switch ev.GetType() {
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_CREATED:
		detail = contactText(t.GetContact()) + ": " + oneLine(t.GetQuestion(), 80)
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_FOLLOW_UP:
		detail = oneLine(ev.GetFollowUp().GetText(), 80)
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_ANSWERED:
		detail = "by " + orDash(t.GetAnsweredBy()) + ": " + oneLine(t.GetAnswer(), 80)
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_CLOSED:
		detail = orDash(t.GetCloseReason())
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_LINKED:
		detail = t.GetExternalRef()
	case relevov1.TicketEventType_TICKET_EVENT_TYPE_ERASED:
		// Nothing personal is left to show; the reference is what a desk
		// removes.
		detail = orDash(t.GetExternalRef())
	}
	_, err := fmt.Fprintf(w, "%d\t%s\t%-9s\t%s\t%s\n", ev.GetSequence(), formatTime(ev.GetCreatedAt()),
		enumText(ev.GetType().String(), "TICKET_EVENT_TYPE_"), t.GetId(), detail)
	return err
}
