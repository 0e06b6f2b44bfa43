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

// attentionStatuses are the delivery states an operator acts on.
var attentionStatuses = []relevov1.DeliveryStatus{
	relevov1.DeliveryStatus_DELIVERY_STATUS_FAILED,
	relevov1.DeliveryStatus_DELIVERY_STATUS_RETRYING,
	relevov1.DeliveryStatus_DELIVERY_STATUS_WAITING_FOR_WINDOW,
}

func newDeliveriesCmd(g *globals) *cobra.Command {
	var since time.Duration
	var statuses []string
	var channel string
	var limit int32
	cmd := &cobra.Command{
		Use:   "deliveries [--since 7d] [--status failed,retrying,...] [--channel C]",
		Short: "List the replies that did not reach the customer (failed, retrying, waiting for the window)",
		Long: `deliveries lists outbound messages across conversations, newest first. By
default it lists those that need attention: failed, retrying, and waiting for
the customer to reopen the channel's customer-service window. --status takes
any of pending, in_flight, sent, delivered, read, failed, retrying,
waiting_for_window.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &relevov1.ListDeliveriesRequest{Channel: channel, PageSize: limit, Statuses: attentionStatuses,
				Since: timestamppb.New(time.Now().Add(-since))}
			if len(statuses) > 0 {
				req.Statuses = nil
				for _, s := range statuses {
					v, ok := relevov1.DeliveryStatus_value["DELIVERY_STATUS_"+strings.ToUpper(s)]
					if !ok || v == 0 {
						return usageErrorf("--status: unknown state %q", s)
					}
					req.Statuses = append(req.Statuses, relevov1.DeliveryStatus(v))
				}
			}
			resp, err := callOnce(cmd, g, "list deliveries", func(ctx context.Context, c *relevo.Client) (*relevov1.ListDeliveriesResponse, error) {
				return c.Conversations.ListDeliveries(ctx, req)
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp, func(w io.Writer, r *relevov1.ListDeliveriesResponse) error {
				if len(r.GetDeliveries()) == 0 {
					fmt.Fprintln(w, "no deliveries")
					return nil
				}
				tw := newTable(w, "CREATED", "STATUS", "CONTACT", "CONVERSATION", "ATTEMPTS", "REASON", "TEXT")
				for _, d := range r.GetDeliveries() {
					m := d.GetMessage()
					row(tw, formatTime(m.GetCreatedAt()), strings.ToLower(strings.TrimPrefix(m.GetDeliveryStatus().String(), "DELIVERY_STATUS_")),
						d.GetContact().GetChannel()+":"+d.GetContact().GetAddress(), m.GetConversationId(), fmt.Sprint(m.GetAttempts()),
						oneLine(m.GetFailureReason(), 40), oneLine(m.GetText(), 40))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if r.GetNextPageToken() != "" {
					fmt.Fprintln(w, "(more: narrow with --since, --status or --channel, or raise --limit up to 500)")
				}
				return nil
			})
		},
	}
	cmd.Flags().Var((*dayDuration)(&since), "since", `period ending now, e.g. "7d" or "24h" (default 7d)`)
	since = 7 * 24 * time.Hour
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "delivery states to list (default: failed, retrying, waiting_for_window)")
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel")
	cmd.Flags().Int32Var(&limit, "limit", 50, "at most this many (at most 500)")
	return cmd
}
