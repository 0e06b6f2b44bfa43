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
	})
	cmd.AddCommand(
		newEntriesListCmd(g),
		newEntriesAddCmd(g),
		newEntriesEditCmd(g),
		newEntriesDeleteCmd(g),
	)
	return cmd
}

func newEntriesListCmd(g *globals) *cobra.Command {
	var learned bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List entries, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No paging flags: every page, from the first.
			return listAll(cmd, g, pageFlags{all: true}, listing[*relevov1.Entry]{
				what:   "entries",
				header: []string{"ID", "SOURCE", "TICKET", "UPDATED", "QUESTION", "ANSWER"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Entry, string, error) {
					resp, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{LearnedOnly: learned, PageToken: token})
					return resp.GetEntries(), resp.GetNextPageToken(), err
				},
				row: func(e *relevov1.Entry) []string {
					return []string{e.GetId(), orDash(demoMark(e.GetSource())), orDash(e.GetTicketId()), formatTime(e.GetUpdatedAt()),
						oneLine(e.GetQuestion(), 50), oneLine(e.GetAnswer(), 60)}
				},
			})
		},
	}
	cmd.Flags().BoolVar(&learned, "learned", false, "only entries learned from ticket answers")
	return cmd
}

func printEntry(w io.Writer, e *relevov1.Entry) error {
	fmt.Fprintf(w, "Entry     %s\n", e.GetId())
	fmt.Fprintf(w, "Source    %s\n", orDash(e.GetSource()))
	if e.GetTicketId() != "" {
		fmt.Fprintf(w, "Ticket    %s\n", e.GetTicketId())
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
		Args:  usageArgs(cobra.ExactArgs(1)),
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
