package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func newConversationsCmd(g *globals) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use:     "conversations",
		Aliases: []string{"conversation", "conv"},
		Short:   "Read conversations and how the bot decided, pause or resume the bot, erase contacts",
	})
	cmd.AddCommand(
		newConversationsListCmd(g),
		newConversationsShowCmd(g),
		newConversationsPauseCmd(g),
		newConversationsResumeCmd(g),
		newConversationsEraseCmd(g),
	)
	return cmd
}

func newConversationsListCmd(g *globals) *cobra.Command {
	var channel, state string
	var page pageFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List conversations, most recently active first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := parseEnum("state", state, "CONVERSATION_STATE_", relevov1.ConversationState_value)
			if err != nil {
				return err
			}
			return listAll(cmd, g, page, listing[*relevov1.Conversation]{
				what:   "conversations",
				header: []string{"ID", "CONTACT", "STATE", "MESSAGES", "LAST ACTIVITY", "TICKET"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Conversation, string, error) {
					resp, err := c.Conversations.ListConversations(ctx, &relevov1.ListConversationsRequest{
						Channel:   channel,
						State:     relevov1.ConversationState(st),
						PageSize:  page.size,
						PageToken: token,
					})
					return resp.GetConversations(), resp.GetNextPageToken(), err
				},
				row: func(cv *relevov1.Conversation) []string {
					return []string{cv.GetId(), contactText(cv.GetContact()), stateText(cv), fmt.Sprint(cv.GetMessageCount()),
						formatTime(cv.GetLastActivityAt()), orDash(cv.GetOpenTicketId())}
				},
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", `only conversations of this channel, e.g. "whatsapp"`)
	cmd.Flags().StringVar(&state, "state", "", "only conversations in this state: bot, ticket_open or paused")
	page.register(cmd)
	return cmd
}

func stateText(cv *relevov1.Conversation) string {
	s := enumText(cv.GetState().String(), "CONVERSATION_STATE_")
	if cv.GetState() == relevov1.ConversationState_CONVERSATION_STATE_PAUSED && cv.GetPausedUntil() != nil {
		s += " until " + formatTime(cv.GetPausedUntil())
	}
	return s
}

func newConversationsShowCmd(g *globals) *cobra.Command {
	var channel, address string
	var limit int32
	cmd := &cobra.Command{
		Use:   "show ID | --channel C --address A",
		Short: "Show a conversation: messages with delivery state, and how each agent run decided",
		Long: `show prints a conversation's messages (author, delivery status and failure
reason of outbound messages) and its agent runs in full: agents visited,
hand-offs, tool calls, retrieved passages with scores, the decision and its
reason, and tokens used. With -o json it prints the GetConversationResponse
as one object, its runs carrying their full traces.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &relevov1.GetConversationRequest{MessageLimit: limit}
			switch {
			case len(args) == 1 && channel == "" && address == "":
				req.ConversationId = args[0]
			case len(args) == 0 && channel != "" && address != "":
				req.Contact = &relevov1.Contact{Channel: channel, Address: address}
			default:
				return usageErrorf("give a conversation ID, or --channel and --address")
			}
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := g.callContext(cmd.Context())
			resp, err := c.Conversations.GetConversation(ctx, req)
			cancel()
			if err != nil {
				return fmt.Errorf("get conversation: %w", err)
			}
			// The listing holds runs without their traces; fetch each in full.
			for i, r := range resp.GetRuns() {
				ctx, cancel := g.callContext(cmd.Context())
				full, err := c.Conversations.GetRun(ctx, &relevov1.GetRunRequest{RunId: r.GetId()})
				cancel()
				if err != nil {
					return fmt.Errorf("get run %s: %w", r.GetId(), err)
				}
				resp.Runs[i] = full.GetRun()
			}
			return show(cmd, g, resp, printConversation)
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "find the conversation by contact: channel")
	cmd.Flags().StringVar(&address, "address", "", "find the conversation by contact: address")
	cmd.Flags().Int32Var(&limit, "messages", 0, "at most this many recent messages (server default 100)")
	return cmd
}

func printConversation(w io.Writer, resp *relevov1.GetConversationResponse) error {
	cv := resp.GetConversation()
	fmt.Fprintf(w, "Conversation  %s\n", cv.GetId())
	fmt.Fprintf(w, "Contact       %s\n", contactText(cv.GetContact()))
	fmt.Fprintf(w, "State         %s\n", stateText(cv))
	if cv.GetOwner() != relevov1.Owner_OWNER_UNSPECIFIED {
		fmt.Fprintf(w, "Owner         %s since %s\n", enumText(cv.GetOwner().String(), "OWNER_"), formatTime(cv.GetOwnerSince()))
	}
	if cv.GetWindowUntil() != nil {
		fmt.Fprintf(w, "Window until  %s\n", formatTime(cv.GetWindowUntil()))
	}
	if cv.GetOpenTicketId() != "" {
		fmt.Fprintf(w, "Open ticket   %s\n", cv.GetOpenTicketId())
	}
	fmt.Fprintf(w, "Created       %s\n", formatTime(cv.GetCreatedAt()))
	fmt.Fprintf(w, "Last activity %s\n", formatTime(cv.GetLastActivityAt()))
	fmt.Fprintf(w, "Messages      %d\n", cv.GetMessageCount())

	fmt.Fprintln(w, "\nMessages")
	if len(resp.GetMessages()) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, m := range resp.GetMessages() {
		fmt.Fprintf(w, "  %s  %s", formatTime(m.GetCreatedAt()), authorText(m))
		if m.GetDeliveryStatus() != relevov1.DeliveryStatus_DELIVERY_STATUS_UNSPECIFIED {
			fmt.Fprintf(w, "  [%s", enumText(m.GetDeliveryStatus().String(), "DELIVERY_STATUS_"))
			if m.GetAttempts() > 1 {
				fmt.Fprintf(w, ", %d attempts", m.GetAttempts())
			}
			if m.GetFailureReason() != "" {
				fmt.Fprintf(w, ": %s", m.GetFailureReason())
			}
			fmt.Fprint(w, "]")
		}
		if m.GetTicketId() != "" {
			fmt.Fprintf(w, "  ticket %s", m.GetTicketId())
		}
		fmt.Fprintf(w, "\n%s\n", indent(m.GetText(), "      "))
	}

	if len(resp.GetTransitions()) > 0 {
		fmt.Fprintln(w, "\nOwner changes")
		for _, tr := range resp.GetTransitions() {
			fmt.Fprintf(w, "  %s  %s → %s  %s by %s", formatTime(tr.GetAt()), enumText(tr.GetFrom().String(), "OWNER_"),
				enumText(tr.GetTo().String(), "OWNER_"), tr.GetCause(), orDash(tr.GetActor()))
			if tr.GetReason() != "" {
				fmt.Fprintf(w, ": %s", oneLine(tr.GetReason(), 100))
			}
			fmt.Fprintln(w)
		}
	}

	fmt.Fprintln(w, "\nRuns")
	if len(resp.GetRuns()) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, r := range resp.GetRuns() {
		printRun(w, r)
	}
	return nil
}

func printRun(w io.Writer, r *relevov1.Run) {
	fmt.Fprintf(w, "  Run %s  %s", r.GetId(), formatTime(r.GetStartedAt()))
	if r.GetDuration() != nil {
		fmt.Fprintf(w, "  took %s", durationText(r.GetDuration().AsDuration()))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "    decision  %s: %s\n", enumText(r.GetOutcome().String(), "RUN_OUTCOME_"), orDash(r.GetReason()))
	fmt.Fprintf(w, "    agents    %s\n", orDash(strings.Join(r.GetAgents(), " → ")))
	if len(r.GetMessageIds()) > 0 {
		fmt.Fprintf(w, "    answers   %s\n", strings.Join(r.GetMessageIds(), ", "))
	}
	if r.GetTicketId() != "" {
		fmt.Fprintf(w, "    ticket    %s\n", r.GetTicketId())
	}
	if r.GetPromptTokens() > 0 || r.GetCompletionTokens() > 0 {
		fmt.Fprintf(w, "    tokens    %d prompt + %d completion\n", r.GetPromptTokens(), r.GetCompletionTokens())
	}
	for _, s := range r.GetSteps() {
		fmt.Fprintf(w, "    - %s %s: %s\n", orDash(s.GetAgent()), s.GetKind(), oneLine(s.GetDetail(), 0))
		for _, p := range s.GetPassages() {
			where := p.GetSource()
			if p.GetPage() > 0 {
				where += fmt.Sprintf(" p.%d", p.GetPage())
			}
			fmt.Fprintf(w, "        %.3f  %s  %s\n", p.GetScore(), where, oneLine(p.GetSnippet(), 100))
		}
	}
	if r.GetReply() != "" {
		fmt.Fprintf(w, "    reply\n%s\n", indent(r.GetReply(), "      "))
	}
}

func newConversationsPauseCmd(g *globals) *cobra.Command {
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "pause ID",
		Short: "Silence the bot in a conversation (a human takes over)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if d < 0 {
				return usageErrorf("--for must not be negative")
			}
			req := &relevov1.PauseConversationRequest{ConversationId: args[0]}
			if d > 0 {
				req.Duration = durationpb.New(d)
			}
			resp, err := callOnce(cmd, g, "pause conversation "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.PauseConversationResponse, error) {
				return c.Conversations.PauseConversation(ctx, req)
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "paused %s until %s", args[0], formatTime(resp.GetConversation().GetPausedUntil()))
		},
	}
	cmd.Flags().DurationVar(&d, "for", 0, "how long, e.g. 2h (server default 24h)")
	return cmd
}

func newConversationsResumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume ID",
		Short: "Give a conversation back to the bot",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "resume conversation "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.ResumeConversationResponse, error) {
				return c.Conversations.ResumeConversation(ctx, &relevov1.ResumeConversationRequest{ConversationId: args[0]})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "resumed %s (state %s)", args[0], stateText(resp.GetConversation()))
		},
	}
}

func newConversationsEraseCmd(g *globals) *cobra.Command {
	var channel, address string
	var yes bool
	cmd := &cobra.Command{
		Use:   "erase --channel C --address A",
		Short: "Erase everything stored about a contact (data erasure)",
		Long: `erase deletes the contact's conversations, every message (the outbox
included, whatever its delivery state), agent runs, tickets, and the
knowledge-base entries learned from those tickets. Ticket desks are told to
remove their copies (the Notion adapter moves the pages to Notion's trash).
It asks for confirmation on stdin unless --yes is given. If the server
answers that it could not finish (UNAVAILABLE), run it again.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if channel == "" || address == "" {
				return usageErrorf("--channel and --address are required")
			}
			contact := &relevov1.Contact{Channel: channel, Address: address}
			if !yes {
				fmt.Fprintf(cmd.ErrOrStderr(), "Erase everything stored about %s (messages, runs, tickets, learned entries)? This cannot be undone. Type yes to confirm: ", contactText(contact))
				answer, err := readLine(bufio.NewReader(cmd.InOrStdin()))
				if err != nil && err != io.EOF {
					return fmt.Errorf("read confirmation: %w", err)
				}
				if strings.ToLower(strings.TrimSpace(answer)) != "yes" {
					return fmt.Errorf("not confirmed; nothing was erased")
				}
			}
			resp, err := callOnce(cmd, g, "erase "+contactText(contact), func(ctx context.Context, c *relevo.Client) (*relevov1.EraseContactResponse, error) {
				return c.Conversations.EraseContact(ctx, &relevov1.EraseContactRequest{Contact: contact})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "erased %s: %d conversation(s), %d message(s), %d run(s), %d ticket(s), %d learned entr(ies)",
				contactText(contact), resp.GetConversationsDeleted(), resp.GetMessagesDeleted(), resp.GetRunsDeleted(),
				resp.GetTicketsDeleted(), resp.GetEntriesDeleted())
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "the contact's channel (required)")
	cmd.Flags().StringVar(&address, "address", "", "the contact's address on the channel (required)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
