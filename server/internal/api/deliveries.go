package api

import (
	"context"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
	"github.com/relevo/relevo/server/internal/store"
)

// maxDeliveryStatuses bounds ListDeliveriesRequest.statuses: there are
// eight states, so more names one twice.
const maxDeliveryStatuses = 8

func (s *conversationServer) ListDeliveries(ctx context.Context, req *relevov1.ListDeliveriesRequest) (*relevov1.ListDeliveriesResponse, error) {
	n, err := pageSize("page_size", req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	if len(req.GetStatuses()) > maxDeliveryStatuses {
		return nil, invalid("statuses", "at most %d states, got %d", maxDeliveryStatuses, len(req.GetStatuses()))
	}
	f := store.DeliveryFilter{Channel: req.GetChannel(), Limit: n, Cursor: req.GetPageToken()}
	for _, st := range req.GetStatuses() {
		ds, ok := deliveryStatusFilter(st)
		if !ok {
			return nil, invalid("statuses", "unknown delivery status %d", st)
		}
		f.Statuses = append(f.Statuses, ds)
	}
	if f.Channel != "" && !channelName.MatchString(f.Channel) {
		return nil, invalid("channel", "must match %s", channelName)
	}
	if since := req.GetSince(); since != nil {
		if err := since.CheckValid(); err != nil {
			return nil, invalid("since", "%v", err)
		}
		f.Since = since.AsTime()
	}
	list, next, err := s.st.ListDeliveries(ctx, f)
	if err != nil {
		return nil, err
	}
	resp := &relevov1.ListDeliveriesResponse{NextPageToken: next}
	for _, d := range list {
		resp.Deliveries = append(resp.Deliveries, &relevov1.Delivery{
			Contact: &relevov1.Contact{Channel: d.Channel, Address: d.Address},
			Message: messagePB(d.Message),
		})
	}
	return resp, nil
}

// deliveryStatusFilter maps an API delivery status to the store's.
func deliveryStatusFilter(st relevov1.DeliveryStatus) (store.DeliveryStatus, bool) {
	for k, v := range deliveryStatuses {
		if v == st {
			return k, true
		}
	}
	return "", false
}
