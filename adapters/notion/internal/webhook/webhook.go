// Package webhook receives specialists' answers from Notion: the "Send
// webhook" action of the database's "Enviar" button (authenticated by a
// secret header configured on both sides) and integration webhook events
// (the verification handshake, then X-Notion-Signature on every event). It
// finds the ticket by the page it is linked to, or by the page's ticket id
// property, reads the answer and the "Aprender" box from the page and calls
// AnswerTicket with both.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/jomei/notionapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/adapters/notion/internal/ticketdb"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// Tickets is the part of Relevo's TicketService the handler uses.
type Tickets interface {
	ListTickets(ctx context.Context, in *relevov1.ListTicketsRequest, opts ...grpc.CallOption) (*relevov1.ListTicketsResponse, error)
	GetTicket(ctx context.Context, in *relevov1.GetTicketRequest, opts ...grpc.CallOption) (*relevov1.GetTicketResponse, error)
	AnswerTicket(ctx context.Context, in *relevov1.AnswerTicketRequest, opts ...grpc.CallOption) (*relevov1.AnswerTicketResponse, error)
	LinkTicket(ctx context.Context, in *relevov1.LinkTicketRequest, opts ...grpc.CallOption) (*relevov1.LinkTicketResponse, error)
}

// Desk is the Notion ticket database; *ticketdb.DB implements it.
type Desk interface {
	Schema() ticketdb.Schema
	Page(ctx context.Context, pageID string) (*ticketdb.Page, error)
	Update(ctx context.Context, pageID, statusLabel string, answer *string) error
	Append(ctx context.Context, pageID string, blocks []notionapi.Block) error
}

// Config holds the handler's secrets and limits.
type Config struct {
	// Secret is the value of the custom header set on the "Send webhook"
	// action; empty disables the header check.
	Secret string
	// SecretHeader is the name of that header.
	SecretHeader string
	// VerificationToken is the integration webhook's verification token,
	// the key of X-Notion-Signature; empty disables integration events.
	VerificationToken string
	// VerificationTokenFile receives the token of a verification request
	// while VerificationToken is unknown (created with mode 0600, never
	// replaced): the token never goes to the log.
	VerificationTokenFile string
	// Insecure accepts unauthenticated requests (local development only).
	Insecure bool
	// MaxBody is the largest body accepted, in bytes.
	MaxBody int64
}

// DefaultSecretHeader is the default name of the secret header.
const DefaultSecretHeader = "X-Relevo-Secret"

// Handler is the http.Handler of POST /notion/webhook.
type Handler struct {
	cfg     Config
	tickets Tickets
	desk    Desk
	log     *slog.Logger
}

// New returns a Handler.
func New(cfg Config, tickets Tickets, desk Desk, log *slog.Logger) *Handler {
	if cfg.SecretHeader == "" {
		cfg.SecretHeader = DefaultSecretHeader
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	return &Handler{cfg: cfg, tickets: tickets, desk: desk, log: log}
}

// Result is the JSON body of every answer.
type Result struct {
	Status   string `json:"status,omitempty"` // sent, already_answered, ignored, verified
	TicketID string `json:"ticket_id,omitempty"`
	Error    string `json:"error,omitempty"`
}

// httpError is a failure with the HTTP status to answer.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func fail(code int, format string, args ...any) *httpError {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		write(w, http.StatusMethodNotAllowed, Result{Error: "POST only"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			write(w, http.StatusRequestEntityTooLarge, Result{Error: fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBody)})
			return
		}
		write(w, http.StatusBadRequest, Result{Error: "cannot read body"})
		return
	}
	ctx := r.Context()
	authErr := h.authenticate(r, body)
	p, perr := ParsePayload(body)
	if perr == nil && p.Kind == KindVerification {
		code, res := h.verification(ctx, r, body, p.VerificationToken)
		write(w, code, res)
		return
	}
	if authErr != nil {
		h.log.WarnContext(ctx, "notion webhook refused", "reason", authErr.Error(), "remote", r.RemoteAddr)
		write(w, http.StatusUnauthorized, Result{Error: "unauthorized"})
		return
	}
	if perr != nil {
		write(w, http.StatusBadRequest, Result{Error: perr.Error()})
		return
	}
	res, err := h.handle(ctx, p)
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{code: http.StatusInternalServerError, msg: "internal error"}
		}
		h.log.WarnContext(ctx, "notion webhook failed", "page_id", p.PageID, "status", he.code, "error", err)
		write(w, he.code, Result{TicketID: res.TicketID, Error: he.msg})
		return
	}
	write(w, http.StatusOK, res)
}

// authenticate checks the signature of integration events or the secret
// header of actions; either suffices.
func (h *Handler) authenticate(r *http.Request, body []byte) error {
	if h.cfg.Insecure {
		return nil
	}
	if sig := r.Header.Get("X-Notion-Signature"); sig != "" {
		if h.cfg.VerificationToken == "" {
			return errors.New("signed event but no verification token configured")
		}
		if !validSignature(h.cfg.VerificationToken, body, sig) {
			return errors.New("bad X-Notion-Signature")
		}
		return nil
	}
	got := r.Header.Get(h.cfg.SecretHeader)
	if h.cfg.Secret == "" || got == "" {
		return fmt.Errorf("missing %s header", h.cfg.SecretHeader)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.Secret)) != 1 {
		return fmt.Errorf("wrong %s header", h.cfg.SecretHeader)
	}
	return nil
}

// verification answers Notion's verification request. Once the token is
// known the request must prove it (signed with it, or carrying it again, as
// "Resend token" does); until then anyone may post one, so it only goes to
// the token file, never to the log, and changes nothing.
func (h *Handler) verification(ctx context.Context, r *http.Request, body []byte, token string) (int, Result) {
	if known := h.cfg.VerificationToken; known != "" {
		sig := r.Header.Get("X-Notion-Signature")
		if (sig != "" && validSignature(known, body, sig)) || subtle.ConstantTimeCompare([]byte(token), []byte(known)) == 1 {
			h.log.InfoContext(ctx, "notion webhook verification request for the configured token")
			return http.StatusOK, Result{Status: "verified"}
		}
		h.log.WarnContext(ctx, "notion webhook verification request refused: it does not prove the configured verification token", "remote", r.RemoteAddr)
		return http.StatusUnauthorized, Result{Error: "unauthorized"}
	}
	if len(token) > 256 || strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return http.StatusBadRequest, Result{Error: "verification_token: not a token"}
	}
	file := h.cfg.VerificationTokenFile
	if file == "" {
		h.log.WarnContext(ctx, "notion webhook verification request received; its token is not logged: "+
			"set --webhook-verification-token-file and press \"Resend token\" in the integration's Webhooks tab to receive it", "remote", r.RemoteAddr)
		return http.StatusOK, Result{Status: "received"}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		h.log.WarnContext(ctx, "notion webhook verification request received; the token file exists, so this token was not written "+
			"(remove the file and resend the token to receive a new one)", "file", file, "remote", r.RemoteAddr)
		return http.StatusOK, Result{Status: "received"}
	}
	_, err = f.WriteString(token + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		h.log.ErrorContext(ctx, "notion webhook verification token file", "file", file, "err", err)
		return http.StatusInternalServerError, Result{Error: "internal error"}
	}
	h.log.WarnContext(ctx, "notion webhook verification request received; its token is in the token file, readable by this user only: "+
		"paste it in the integration's Verify form, then restart the adapter, which reads it from there", "file", file, "remote", r.RemoteAddr)
	return http.StatusOK, Result{Status: "received"}
}

// Sign returns the X-Notion-Signature of body under key.
func Sign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func validSignature(key string, body []byte, header string) bool {
	want := Sign(key, body)
	return hmac.Equal([]byte(strings.ToLower(strings.TrimSpace(header))), []byte(want))
}

func (h *Handler) handle(ctx context.Context, p *Payload) (Result, error) {
	switch p.Kind {
	case KindAction:
		return h.answer(ctx, p.PageID, p.Values, p.UserID, nil)
	case KindEvent:
		return h.event(ctx, p)
	}
	return Result{Status: "ignored"}, nil
}

// event handles an integration event. Property updates fire on every
// keystroke in Respuesta, so an event answers only once a person has set
// the status to the "sent" label: setting Estado to Enviado is the
// integration-webhook way of pressing Enviar.
func (h *Handler) event(ctx context.Context, p *Payload) (Result, error) {
	s := h.desk.Schema()
	if p.PageID == "" || p.EventType != "page.properties_updated" || p.ByBotsOnly || s.Names.Status == "" {
		return Result{Status: "ignored"}, nil
	}
	page, err := h.fetch(ctx, p.PageID)
	if err != nil {
		return Result{}, err
	}
	if s.StatusOf(page.Values) != s.Labels.Sent {
		return Result{Status: "ignored"}, nil
	}
	return h.answer(ctx, p.PageID, page.Values, p.UserID, page)
}

// answer sends the page's answer to its ticket.
func (h *Handler) answer(ctx context.Context, pageID string, values ticketdb.Values, userID string, page *ticketdb.Page) (Result, error) {
	s := h.desk.Schema()
	if values == nil {
		values = ticketdb.Values{}
	}
	_, hasAnswer := s.AnswerOf(values)
	_, hasID := s.TicketIDOf(values)
	// A "Send webhook" action may leave the Learn box out of its payload;
	// the specialist's choice is then read from the page.
	_, hasLearn := s.LearnOf(values)
	hasLearn = hasLearn || s.Names.Learn == ""
	fetch := func() error {
		if page != nil {
			return nil
		}
		var err error
		if page, err = h.fetch(ctx, pageID); err != nil {
			return err
		}
		values = page.Values
		return nil
	}

	t, err := h.ticketOfPage(ctx, pageID)
	if err != nil {
		return Result{}, err
	}
	if t == nil {
		if !hasID {
			if err := fetch(); err != nil {
				return Result{}, err
			}
		}
		if t, err = h.ticketByID(ctx, pageID, values); err != nil {
			return Result{}, err
		}
	}
	res := Result{TicketID: t.GetId()}
	if !hasAnswer || !hasLearn {
		if err := fetch(); err != nil {
			return res, err
		}
	}
	answer, _ := s.AnswerOf(values)
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return res, fail(http.StatusUnprocessableEntity, "%s is empty: write the answer in it, then press the button again", s.Names.Answer)
	}
	answeredBy := ""
	if userID != "" {
		answeredBy = "notion:" + userID
	}
	learn := s.LearnDecision(values)
	resp, err := h.tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: t.GetId(), Answer: answer, AnsweredBy: answeredBy, Learn: learn})
	if err != nil {
		herr := fromStatus(err, "answer ticket "+t.GetId())
		// A refusal that pressing the button again will not change (an
		// answer over the contract's bound, a ticket answered otherwise)
		// is shown on the page: the automation's HTTP answer reaches no
		// one.
		if herr.code == http.StatusConflict || herr.code == http.StatusUnprocessableEntity {
			h.surfaceRefusal(ctx, t.GetId(), pageID, err)
		}
		return res, herr
	}
	res.Status = "sent"
	if resp.GetAlreadyAnswered() {
		res.Status = "already_answered"
	}
	h.log.InfoContext(ctx, "notion answer handled", "ticket_id", t.GetId(), "page_id", pageID, "status", res.Status, "learn", learn.String())
	// Mark the page at once so the specialist sees it; if this fails the
	// event stream's ANSWERED event marks it later.
	if err := h.desk.Update(ctx, pageID, s.Labels.Sent, nil); err != nil {
		h.log.WarnContext(ctx, "could not mark the page sent", "page_id", pageID, "error", err)
	}
	return res, nil
}

// ticketOfPage returns the ticket linked to the page, or nil.
func (h *Handler) ticketOfPage(ctx context.Context, pageID string) (*relevov1.Ticket, error) {
	resp, err := h.tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{ExternalRef: pageID, PageSize: 1})
	if err != nil {
		return nil, fromStatus(err, "find ticket of page")
	}
	if len(resp.GetTickets()) == 0 {
		return nil, nil
	}
	return resp.GetTickets()[0], nil
}

// ticketByID returns the ticket named by the page's ticket id property,
// linking the page when the ticket has none yet (a page created just before
// a crash). A ticket linked to another page is refused: the page is a copy.
func (h *Handler) ticketByID(ctx context.Context, pageID string, values ticketdb.Values) (*relevov1.Ticket, error) {
	id, _ := h.desk.Schema().TicketIDOf(values)
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, fail(http.StatusNotFound, "page %s is not linked to any ticket", pageID)
	}
	resp, err := h.tickets.GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: id})
	if err != nil {
		return nil, fromStatus(err, "get ticket "+id)
	}
	t := resp.GetTicket()
	switch ref := t.GetExternalRef(); {
	case ref == "":
		if _, err := h.tickets.LinkTicket(ctx, &relevov1.LinkTicketRequest{TicketId: id, ExternalRef: pageID}); err != nil {
			return nil, fromStatus(err, "link ticket "+id)
		}
	case !sameID(ref, pageID):
		return nil, fail(http.StatusConflict, "ticket %s belongs to another Notion page (%s); answer it there", id, ref)
	}
	return t, nil
}

// surfaceRefusal makes a refused answer visible where the specialist
// works: the page's status follows the ticket, a note explains, and the
// ticket records the error.
func (h *Handler) surfaceRefusal(ctx context.Context, ticketID, pageID string, cause error) {
	resp, err := h.tickets.GetTicket(ctx, &relevov1.GetTicketRequest{TicketId: ticketID})
	if err != nil {
		h.log.WarnContext(ctx, "could not read ticket after a refused answer", "ticket_id", ticketID, "error", err)
		return
	}
	t := resp.GetTicket()
	s := h.desk.Schema()
	if err := h.desk.Update(ctx, pageID, s.Labels.For(t.GetStatus()), nil); err != nil {
		h.log.WarnContext(ctx, "could not update the page after a refused answer", "page_id", pageID, "error", err)
	}
	note := "No se envió esta respuesta: " + status.Convert(cause).Message() + "."
	if t.GetStatus() == relevov1.TicketStatus_TICKET_STATUS_ANSWERED {
		note = "No se envió esta respuesta: el ticket ya fue respondido con otro texto: «" + t.GetAnswer() + "»."
	}
	if err := h.desk.Append(ctx, pageID, ticketdb.Paragraphs(ticketdb.LabelRelevoNote, note, "")); err != nil {
		h.log.WarnContext(ctx, "could not add a note to the page", "page_id", pageID, "error", err)
	}
	lastError := "notion answer not sent: " + status.Convert(cause).Message()
	if _, err := h.tickets.LinkTicket(ctx, &relevov1.LinkTicketRequest{TicketId: ticketID, ExternalRef: pageID, LastError: lastError}); err != nil {
		h.log.WarnContext(ctx, "could not record the refused answer on the ticket", "ticket_id", ticketID, "error", err)
	}
}

func (h *Handler) fetch(ctx context.Context, pageID string) (*ticketdb.Page, error) {
	page, err := h.desk.Page(ctx, pageID)
	switch {
	case ticketdb.NotFound(err):
		return nil, fail(http.StatusNotFound, "page %s not found in Notion (is it shared with the integration?)", pageID)
	case err != nil:
		h.log.WarnContext(ctx, "could not read the page from notion", "page_id", pageID, "error", err)
		return nil, fail(http.StatusServiceUnavailable, "could not read the page from Notion; try again")
	}
	return page, nil
}

// fromStatus maps a Relevo server error to the HTTP answer.
func fromStatus(err error, what string) *httpError {
	st := status.Convert(err)
	msg := what + ": " + st.Message()
	switch st.Code() {
	case codes.InvalidArgument:
		return &httpError{http.StatusUnprocessableEntity, msg}
	case codes.NotFound:
		return &httpError{http.StatusNotFound, msg}
	case codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted:
		return &httpError{http.StatusConflict, msg}
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Canceled:
		return &httpError{http.StatusServiceUnavailable, msg}
	}
	// Unauthenticated, PermissionDenied, Internal...: the adapter or the
	// server is misconfigured; not the caller's fault.
	return &httpError{http.StatusInternalServerError, what + ": relevo server error"}
}

// sameID compares Notion ids with or without dashes.
func sameID(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }
	return norm(a) == norm(b)
}

func write(w http.ResponseWriter, code int, res Result) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(res)
}
