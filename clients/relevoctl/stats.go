package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func newStatsCmd(g *globals) *cobra.Command {
	var since time.Duration
	var from, to string
	cmd := &cobra.Command{
		Use:   "stats [--since 7d | --from T --to T]",
		Short: "Print how conversations ended in a period: resolved by the bot, by a person, abandoned",
		Long: `stats counts the conversations that ended in the period and prints the rates:
resolved by the bot (an answer confirmed, or met by no further question),
resolved by a person (a ticket answered), abandoned (a hand-off never
answered). --since takes Go durations and days ("7d", "36h"); --from and --to
take RFC 3339 times or dates (2026-01-31).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &relevov1.GetResolutionStatsRequest{}
			var err error
			if from != "" {
				if req.From, err = parseTime("--from", from); err != nil {
					return err
				}
			}
			if to != "" {
				if req.To, err = parseTime("--to", to); err != nil {
					return err
				}
			}
			if req.From == nil {
				req.From = timestamppb.New(time.Now().Add(-since))
			}
			resp, err := callOnce(cmd, g, "resolution stats", func(ctx context.Context, c *relevo.Client) (*relevov1.GetResolutionStatsResponse, error) {
				return c.Conversations.GetResolutionStats(ctx, req)
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp, func(w io.Writer, st *relevov1.GetResolutionStatsResponse) error {
				end := "now"
				if req.To != nil {
					end = formatTime(req.To)
				}
				fmt.Fprintf(w, "Conversations ended %s – %s: %d\n", formatTime(req.From), end, st.GetTotal())
				tw := newTable(w, "OUTCOME", "COUNT", "RATE")
				for _, r := range []struct {
					name string
					n    int32
					rate float64
				}{
					{"resolved by the bot", st.GetResolvedByBot(), st.GetBotRate()},
					{"resolved by a person", st.GetResolvedByPerson(), st.GetPersonRate()},
					{"abandoned", st.GetAbandoned(), st.GetAbandonedRate()},
				} {
					row(tw, r.name, fmt.Sprint(r.n), fmt.Sprintf("%.1f%%", 100*r.rate))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().Var((*dayDuration)(&since), "since", `period ending now, e.g. "7d" or "24h" (default 7d)`)
	since = 7 * 24 * time.Hour
	cmd.Flags().StringVar(&from, "from", "", "start of the period (RFC 3339 or a date); overrides --since")
	cmd.Flags().StringVar(&to, "to", "", "end of the period (RFC 3339 or a date; default now)")
	return cmd
}

func parseTime(flag, s string) (*timestamppb.Timestamp, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return timestamppb.New(t), nil
		}
	}
	return nil, usageErrorf("%s: %q is not an RFC 3339 time or a date (2006-01-02)", flag, s)
}

// dayDuration is a duration flag that also takes days ("7d").
type dayDuration time.Duration

func (d *dayDuration) String() string { return time.Duration(*d).String() }
func (d *dayDuration) Type() string   { return "duration" }
func (d *dayDuration) Set(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != days {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*d = dayDuration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive duration", s)
	}
	*d = dayDuration(v)
	return nil
}
