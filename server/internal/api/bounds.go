package api

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// bounds is the largest size, in bytes, of every string and bytes field a
// caller may send. Each bound is also stated in the field's comment in
// proto/relevo/v1 ("At most …"); a test keeps the two in step and fails
// when a request field has no bound. Handlers check meaning (required,
// formats); sizes are checked here alone, before any handler runs.
var bounds = map[protoreflect.FullName]int{
	"relevo.v1.Contact.channel":      32,
	"relevo.v1.Contact.address":      256,
	"relevo.v1.Contact.display_name": 1 << 10,
	"relevo.v1.Contact.phone":        32,

	"relevo.v1.InboundMessage.channel_message_id":  256,
	"relevo.v1.InboundMessage.business_address":    256,
	"relevo.v1.InboundMessage.text":                64 << 10,
	"relevo.v1.InboundMessage.reply_to_message_id": 256,
	"relevo.v1.Choice.id":                          256,
	"relevo.v1.Choice.title":                       256,
	"relevo.v1.Media.type":                         32,
	"relevo.v1.Media.media_id":                     256,
	"relevo.v1.Media.mime_type":                    256,
	"relevo.v1.Media.filename":                     256,
	"relevo.v1.Media.sha256":                       128,
	"relevo.v1.Media.data":                         16 << 20,
	"relevo.v1.Reaction.message_id":                256,
	"relevo.v1.Reaction.emoji":                     64,
	"relevo.v1.Referral.source_url":                2 << 10,
	"relevo.v1.Referral.source_type":               32,
	"relevo.v1.Referral.source_id":                 256,
	"relevo.v1.Referral.headline":                  1 << 10,
	"relevo.v1.Referral.body":                      4 << 10,

	"relevo.v1.Subscribe.channel":                          32,
	"relevo.v1.Ack.outbound_id":                            256,
	"relevo.v1.Ack.provider_message_id":                    256,
	"relevo.v1.Failure.outbound_id":                        256,
	"relevo.v1.Failure.code":                               64,
	"relevo.v1.Failure.reason":                             1 << 10,
	"relevo.v1.ReportDeliveryRequest.channel":              32,
	"relevo.v1.ReportDeliveryRequest.provider_message_id":  256,
	"relevo.v1.ReportDeliveryRequest.error_code":           64,
	"relevo.v1.ReportDeliveryRequest.error_reason":         1 << 10,
	"relevo.v1.SendHumanMessageRequest.channel_message_id": 256,
	"relevo.v1.SendHumanMessageRequest.business_address":   256,
	"relevo.v1.SendHumanMessageRequest.text":               64 << 10,
	"relevo.v1.SendHumanMessageRequest.author_name":        256,

	"relevo.v1.ListDeliveriesRequest.channel":             32,
	"relevo.v1.ListDeliveriesRequest.page_token":          1 << 10,
	"relevo.v1.ListConversationsRequest.channel":          32,
	"relevo.v1.ListConversationsRequest.page_token":       1 << 10,
	"relevo.v1.GetConversationRequest.conversation_id":    256,
	"relevo.v1.GetRunRequest.run_id":                      256,
	"relevo.v1.PauseConversationRequest.conversation_id":  256,
	"relevo.v1.ResumeConversationRequest.conversation_id": 256,
	"relevo.v1.ListResolutionsRequest.page_token":         1 << 10,

	"relevo.v1.ListTicketsRequest.conversation_id": 256,
	"relevo.v1.ListTicketsRequest.external_ref":    256,
	"relevo.v1.ListTicketsRequest.page_token":      1 << 10,
	"relevo.v1.GetTicketRequest.ticket_id":         256,
	"relevo.v1.AnswerTicketRequest.ticket_id":      256,
	"relevo.v1.AnswerTicketRequest.answer":         32 << 10,
	"relevo.v1.AnswerTicketRequest.answered_by":    256,
	"relevo.v1.CloseTicketRequest.ticket_id":       256,
	"relevo.v1.CloseTicketRequest.reason":          1 << 10,
	"relevo.v1.PreviewAnswerRequest.ticket_id":     256,
	"relevo.v1.PreviewAnswerRequest.answer":        32 << 10,
	"relevo.v1.PreviewAnswerRequest.answered_by":   256,
	"relevo.v1.LinkTicketRequest.ticket_id":        256,
	"relevo.v1.LinkTicketRequest.external_ref":     256,
	"relevo.v1.LinkTicketRequest.last_error":       4 << 10,

	"relevo.v1.UploadDocumentRequest.filename":    255,
	"relevo.v1.UploadDocumentRequest.media_type":  256,
	"relevo.v1.UploadDocumentRequest.content":     32 << 20,
	"relevo.v1.ListDocumentsRequest.page_token":   1 << 10,
	"relevo.v1.GetDocumentRequest.document_id":    256,
	"relevo.v1.DeleteDocumentRequest.document_id": 256,
	"relevo.v1.SearchRequest.query":               4 << 10,
	"relevo.v1.CreateEntryRequest.question":       32 << 10,
	"relevo.v1.CreateEntryRequest.answer":         32 << 10,
	"relevo.v1.CreateEntryRequest.source":         256,
	"relevo.v1.ListEntriesRequest.page_token":     1 << 10,
	"relevo.v1.UpdateEntryRequest.entry_id":       256,
	"relevo.v1.UpdateEntryRequest.question":       32 << 10,
	"relevo.v1.UpdateEntryRequest.answer":         32 << 10,
	"relevo.v1.ApproveEntryRequest.entry_id":      256,
	"relevo.v1.ApproveEntryRequest.question":      32 << 10,
	"relevo.v1.ApproveEntryRequest.answer":        32 << 10,
	"relevo.v1.RejectEntryRequest.entry_id":       256,
	"relevo.v1.DeleteEntryRequest.entry_id":       256,
}

// defaultBound applies to a field missing from bounds (the completeness
// test fails first): small, so that a forgotten field cannot carry bulk.
const defaultBound = 256

// maxRepeated bounds the items of a repeated or map field of a request.
const maxRepeated = 100

// checkBounds reports the first string or bytes field of a request that is
// longer than its bound or not UTF-8, or time or duration out of range,
// named by its path from the request ("message.contact.phone"). The error
// never repeats the value.
func checkBounds(m proto.Message) error {
	return checkMessage(m.ProtoReflect(), "")
}

func checkMessage(m protoreflect.Message, prefix string) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			if l.Len() > maxRepeated {
				err = invalid(path, "more than %d items", maxRepeated)
				return false
			}
			for i := range l.Len() {
				if err = checkValue(fd, l.Get(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return false
				}
			}
		case fd.IsMap():
			mp := v.Map()
			if mp.Len() > maxRepeated {
				err = invalid(path, "more than %d items", maxRepeated)
				return false
			}
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if err = checkValue(fd.MapKey(), k.Value(), path+".key"); err == nil {
					err = checkValue(fd.MapValue(), mv, path+".value")
				}
				return err == nil
			})
		default:
			err = checkValue(fd, v, path)
		}
		return err == nil
	})
	return err
}

func checkValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) error {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if fd.Message().ParentFile().Package() != "relevo.v1" {
			return checkWellKnown(v.Message().Interface(), path)
		}
		return checkMessage(v.Message(), path+".")
	case protoreflect.StringKind:
		s := v.String()
		if n := boundOf(fd); len(s) > n {
			return invalid(path, "longer than %s", sizeText(n))
		}
		if !utf8.ValidString(s) {
			return invalid(path, "not valid UTF-8")
		}
	case protoreflect.BytesKind:
		if n := boundOf(fd); len(v.Bytes()) > n {
			return invalid(path, "larger than %s", sizeText(n))
		}
	}
	return nil
}

// checkWellKnown refuses a time or duration the well-known types do not
// allow (REST's JSON parser refuses them before the guard; native gRPC
// would otherwise store them as garbage).
func checkWellKnown(m proto.Message, path string) error {
	switch v := m.(type) {
	case *timestamppb.Timestamp:
		if v.CheckValid() != nil {
			return invalid(path, "not a valid time (years 1 to 9999, nanos from 0 to 999,999,999)")
		}
	case *durationpb.Duration:
		if v.CheckValid() != nil {
			return invalid(path, "not a valid duration (at most 10,000 years, seconds and nanos of one sign)")
		}
	}
	return nil
}

func boundOf(fd protoreflect.FieldDescriptor) int {
	if n, ok := bounds[fd.FullName()]; ok {
		return n
	}
	return defaultBound
}

// sizeText writes a bound the way the contract's comments state it.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
