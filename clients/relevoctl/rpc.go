package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/relevo/relevo/clients/relevo"
)

// callOnce dials the server and makes one call, bounded by --timeout. A
// failed call is reported as "what: error"; a failed dial as it is.
func callOnce[R any](cmd *cobra.Command, g *globals, what string, call func(context.Context, *relevo.Client) (R, error)) (R, error) {
	var zero R
	c, err := g.dial(cmd)
	if err != nil {
		return zero, err
	}
	defer c.Close()
	ctx, cancel := g.callContext(cmd.Context())
	defer cancel()
	resp, err := call(ctx, c)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return resp, nil
}

// show prints one object: as protobuf JSON with -o json, else with print.
func show[M proto.Message](cmd *cobra.Command, g *globals, m M, print func(io.Writer, M) error) error {
	if g.json() {
		return writeJSON(cmd.OutOrStdout(), m)
	}
	return print(cmd.OutOrStdout(), m)
}

// pageFlags are the paging flags of list commands.
type pageFlags struct {
	size  int32
	token string
	all   bool
}

func (p *pageFlags) register(cmd *cobra.Command) {
	cmd.Flags().Int32Var(&p.size, "page-size", 0, "items per page (server default)")
	cmd.Flags().StringVar(&p.token, "page-token", "", "start at this page token, from a previous listing")
	cmd.Flags().BoolVar(&p.all, "all", false, "follow page tokens to the end")
}

// more tells, on stderr, how to get the next page when one was left out.
func (p *pageFlags) more(cmd *cobra.Command, next string) {
	if next != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more results: use --all, or --page-token %s\n", next)
	}
}

// listing is what tells one list command from another.
type listing[T proto.Message] struct {
	what   string   // what is listed, for errors: "tickets"
	header []string // table columns
	// fetch gets the page at token: its items and the next page's token,
	// empty after the last page.
	fetch func(ctx context.Context, c *relevo.Client, token string) (items []T, next string, err error)
	row   func(T) []string // table cells of one item
}

// listAll prints the items of one page, or of every page from there with
// --all: a table, or one JSON object per line with -o json. When pages are
// left, it tells on stderr how to get them.
func listAll[T proto.Message](cmd *cobra.Command, g *globals, page pageFlags, l listing[T]) error {
	c, err := g.dial(cmd)
	if err != nil {
		return err
	}
	defer c.Close()
	out := cmd.OutOrStdout()
	// Rows go through a table (aligned when flushed) or straight out as JSON.
	emit := func(item T) error { return writeJSON(out, item) }
	var flush func() error
	if !g.json() {
		tw := newTable(out, l.header...)
		emit = func(item T) error { row(tw, l.row(item)...); return nil }
		flush = tw.Flush
	}
	token := page.token
	for {
		ctx, cancel := g.callContext(cmd.Context())
		items, next, err := l.fetch(ctx, c, token)
		cancel()
		if err != nil {
			return fmt.Errorf("list %s: %w", l.what, err)
		}
		for _, item := range items {
			if err := emit(item); err != nil {
				return err
			}
		}
		token = next
		if token == "" || !page.all {
			break
		}
	}
	if flush != nil {
		if err := flush(); err != nil {
			return err
		}
	}
	page.more(cmd, token)
	return nil
}
