package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			out := cmd.OutOrStdout()
			var tw *tabwriter.Writer
			if !g.json() {
				tw = newTable(out, "ID", "SOURCE", "TICKET", "UPDATED", "QUESTION", "ANSWER")
			}
			token := ""
			for {
				ctx, cancel := g.callContext(cmd.Context())
				resp, err := c.Knowledge.ListEntries(ctx, &relevov1.ListEntriesRequest{LearnedOnly: learned, PageToken: token})
				cancel()
				if err != nil {
					return fmt.Errorf("list entries: %w", err)
				}
				for _, e := range resp.GetEntries() {
					if g.json() {
						if err := writeJSON(out, e); err != nil {
							return err
						}
						continue
					}
					row(tw, e.GetId(), orDash(e.GetSource()), orDash(e.GetTicketId()), formatTime(e.GetUpdatedAt()),
						oneLine(e.GetQuestion(), 50), oneLine(e.GetAnswer(), 60))
				}
				token = resp.GetNextPageToken()
				if token == "" {
					break
				}
			}
			if g.json() {
				return nil
			}
			return tw.Flush()
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
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := g.callContext(cmd.Context())
			defer cancel()
			resp, err := c.Knowledge.CreateEntry(ctx, &relevov1.CreateEntryRequest{Question: question, Answer: answer, Source: source})
			if err != nil {
				return fmt.Errorf("add entry: %w", err)
			}
			if g.json() {
				return writeJSON(cmd.OutOrStdout(), resp.GetEntry())
			}
			return printEntry(cmd.OutOrStdout(), resp.GetEntry())
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
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := g.callContext(cmd.Context())
			defer cancel()
			resp, err := c.Knowledge.UpdateEntry(ctx, &relevov1.UpdateEntryRequest{EntryId: args[0], Question: question, Answer: answer})
			if err != nil {
				return fmt.Errorf("edit entry %s: %w", args[0], err)
			}
			if g.json() {
				return writeJSON(cmd.OutOrStdout(), resp.GetEntry())
			}
			return printEntry(cmd.OutOrStdout(), resp.GetEntry())
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
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := g.callContext(cmd.Context())
			defer cancel()
			resp, err := c.Knowledge.DeleteEntry(ctx, &relevov1.DeleteEntryRequest{EntryId: args[0]})
			if err != nil {
				return fmt.Errorf("delete entry %s: %w", args[0], err)
			}
			return g.done(cmd, resp, "deleted entry %s", args[0])
		},
	}
}
