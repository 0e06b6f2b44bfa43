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

func newKBEntriesCmd(g *globals) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use:   "entries",
		Short: "Manage question/answer entries, including those learned from tickets",
		Long: `entries manages the question/answer entries of the knowledge base, including
the answers learned from tickets.

Under the profile's learning.policy "review", a learned answer waits as a
pending entry that answers nobody: "review" lists them with their ticket and
specialist, "edit" corrects one (it stays pending), "approve" makes it live
(optionally with an edited question or answer) and "reject" keeps it out.`,
	})
	cmd.AddCommand(
		newEntriesListCmd(g),
		newEntriesAddCmd(g),
		newEntriesEditCmd(g),
		newEntriesDeleteCmd(g),
		newEntriesReviewCmd(g),
		newEntriesApproveCmd(g),
		newEntriesRejectCmd(g),
	)
	return cmd
}

func newEntriesListCmd(g *globals) *cobra.Command {
	var learned bool
	var statusFlag string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List entries, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := parseEnum("status", statusFlag, "ENTRY_STATUS_", relevov1.EntryStatus_value)
			if err != nil {
				return err
			}
			// No paging flags: every page, from the first.
			return listAll(cmd, g, pageFlags{all: true}, listing[*relevov1.Entry]{
				what:   "entries",
				header: []string{"ID", "STATUS", "SOURCE", "TICKET", "UPDATED", "QUESTION", "ANSWER"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Entry, string, error) {
					resp, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{
						LearnedOnly: learned, Status: relevov1.EntryStatus(st), PageToken: token,
					})
					return resp.GetEntries(), resp.GetNextPageToken(), err
				},
				row: func(e *relevov1.Entry) []string {
					return []string{e.GetId(), entryStatusText(e.GetStatus()), orDash(demoMark(e.GetSource())), orDash(e.GetTicketId()),
						formatTime(e.GetUpdatedAt()), oneLine(e.GetQuestion(), 50), oneLine(e.GetAnswer(), 60)}
				},
			})
		},
	}
	cmd.Flags().BoolVar(&learned, "learned", false, "only entries learned from ticket answers")
	cmd.Flags().StringVar(&statusFlag, "status", "", "only entries in this status: live, pending or rejected")
	return cmd
}

func entryStatusText(s relevov1.EntryStatus) string {
	if s == relevov1.EntryStatus_ENTRY_STATUS_UNSPECIFIED {
		return "-"
	}
	return enumText(s.String(), "ENTRY_STATUS_")
}

func printEntry(w io.Writer, e *relevov1.Entry) error {
	fmt.Fprintf(w, "Entry     %s\n", e.GetId())
	fmt.Fprintf(w, "Status    %s\n", entryStatusText(e.GetStatus()))
	fmt.Fprintf(w, "Source    %s\n", orDash(e.GetSource()))
	if e.GetTicketId() != "" {
		fmt.Fprintf(w, "Ticket    %s\n", e.GetTicketId())
	}
	if e.GetLearned() {
		fmt.Fprintf(w, "Answered  %s by %s\n", formatTime(e.GetLearnedAt()), orDash(e.GetAnsweredBy()))
	}
	if e.GetReviewedAt() != nil {
		fmt.Fprintf(w, "Reviewed  %s\n", formatTime(e.GetReviewedAt()))
	}
	fmt.Fprintf(w, "Updated   %s\n", formatTime(e.GetUpdatedAt()))
	fmt.Fprintf(w, "Question\n%s\n", indent(e.GetQuestion(), "  "))
	_, err := fmt.Fprintf(w, "Answer\n%s\n", indent(e.GetAnswer(), "  "))
	return err
}

func newEntriesAddCmd(g *globals) *cobra.Command {
	var question, answer, source string
	cmd := &cobra.Command{
		Use:   "add --question Q --answer A",
		Short: "Add a question/answer entry (--answer - reads it from stdin)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			answer, err := textValue(answer, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if strings.TrimSpace(question) == "" || strings.TrimSpace(answer) == "" {
				return usageErrorf("--question and --answer are required")
			}
			resp, err := callOnce(cmd, g, "add entry", func(ctx context.Context, c *relevo.Client) (*relevov1.CreateEntryResponse, error) {
				return c.Knowledge.CreateEntry(ctx, &relevov1.CreateEntryRequest{Question: question, Answer: answer, Source: source})
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp.GetEntry(), printEntry)
		},
	}
	cmd.Flags().StringVar(&question, "question", "", "the question (required)")
	cmd.Flags().StringVar(&answer, "answer", "", `the answer (required); "-" reads it from stdin`)
	cmd.Flags().StringVar(&source, "source", "", `source shown in citations (server default "manual")`)
	return cmd
}

func newEntriesEditCmd(g *globals) *cobra.Command {
	var question, answer string
	cmd := &cobra.Command{
		Use:   "edit ID [--question Q] [--answer A]",
		Short: "Change the question or the answer of an entry (--answer - reads it from stdin)",
		Long: `edit changes the question, the answer or both of an entry. A pending entry
stays pending: approve it when it reads right.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			answer, err := textValue(answer, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if strings.TrimSpace(question) == "" && strings.TrimSpace(answer) == "" {
				return usageErrorf("give --question, --answer or both")
			}
			resp, err := callOnce(cmd, g, "edit entry "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.UpdateEntryResponse, error) {
				return c.Knowledge.UpdateEntry(ctx, &relevov1.UpdateEntryRequest{EntryId: args[0], Question: question, Answer: answer})
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp.GetEntry(), printEntry)
		},
	}
	cmd.Flags().StringVar(&question, "question", "", "new question")
	cmd.Flags().StringVar(&answer, "answer", "", `new answer; "-" reads it from stdin`)
	return cmd
}

func newEntriesDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an entry",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "delete entry "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.DeleteEntryResponse, error) {
				return c.Knowledge.DeleteEntry(ctx, &relevov1.DeleteEntryRequest{EntryId: args[0]})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "deleted entry %s", args[0])
		},
	}
}

func newEntriesReviewCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "review",
		Short: "List the learned entries waiting for review, newest first",
		Long: `review lists the entries learned from tickets that wait for approval (the
profile's learning.policy is review): each with its ticket, the specialist
who answered and when. They answer no customer until approved. Correct one
with "edit", then "approve ID" or "reject ID".`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAll(cmd, g, pageFlags{all: true}, listing[*relevov1.Entry]{
				what:   "entries waiting for review",
				header: []string{"ID", "TICKET", "ANSWERED BY", "LEARNED", "QUESTION", "ANSWER"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Entry, string, error) {
					resp, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{
						Status: relevov1.EntryStatus_ENTRY_STATUS_PENDING, PageToken: token,
					})
					return resp.GetEntries(), resp.GetNextPageToken(), err
				},
				row: func(e *relevov1.Entry) []string {
					return []string{e.GetId(), orDash(e.GetTicketId()), orDash(e.GetAnsweredBy()), formatTime(e.GetLearnedAt()),
						oneLine(e.GetQuestion(), 50), oneLine(e.GetAnswer(), 60)}
				},
			})
		},
	}
}

func newEntriesApproveCmd(g *globals) *cobra.Command {
	var question, answer string
	cmd := &cobra.Command{
		Use:   "approve ID [--question Q] [--answer A]",
		Short: "Make a pending entry live, optionally with an edited question or answer",
		Long: `approve makes a learned entry that waits for review live: customers are
answered from it at once. --question and --answer replace the learned text
first (--answer - reads it from stdin); left out, the entry is approved as
learned.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &relevov1.ApproveEntryRequest{EntryId: args[0]}
			// Only the flags given are sent: an edit left out keeps the
			// learned text, a blank one is a mistake.
			if cmd.Flags().Changed("question") {
				if strings.TrimSpace(question) == "" {
					return usageErrorf("--question is empty; leave it out to keep the learned question")
				}
				req.Question = &question
			}
			if cmd.Flags().Changed("answer") {
				a, err := textValue(answer, cmd.InOrStdin())
				if err != nil {
					return err
				}
				if strings.TrimSpace(a) == "" {
					return usageErrorf("--answer is empty; leave it out to keep the learned answer")
				}
				req.Answer = &a
			}
			resp, err := callOnce(cmd, g, "approve entry "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.ApproveEntryResponse, error) {
				return c.Knowledge.ApproveEntry(ctx, req)
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp.GetEntry(), printEntry)
		},
	}
	cmd.Flags().StringVar(&question, "question", "", "approve with this question instead of the learned one")
	cmd.Flags().StringVar(&answer, "answer", "", `approve with this answer instead of the learned one; "-" reads it from stdin`)
	return cmd
}

func newEntriesRejectCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reject ID",
		Short: "Keep a pending entry out of the knowledge base",
		Long: `reject keeps a learned entry that waits for review out of the knowledge base
for good; it stays listed as rejected. A live entry cannot be rejected:
delete it instead.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "reject entry "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.RejectEntryResponse, error) {
				return c.Knowledge.RejectEntry(ctx, &relevov1.RejectEntryRequest{EntryId: args[0]})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "rejected entry %s", args[0])
		},
	}
}
