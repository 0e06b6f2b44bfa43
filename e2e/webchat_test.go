//go:build e2e

package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/relevo/relevo/adapters/webchat/webchattest"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// browserPath returns a headless-capable Chromium, or skips the test
// outside CI (fails under CI=true) when there is none.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found and CI=true: install it (apt-get install -y chromium)")
	}
	t.Skip("no Chromium found (apt-get install -y chromium): browser tests skipped")
	return ""
}

// startWebchat starts the web chat adapter against server, allowing the
// given page origin, and returns its base URL.
func startWebchat(t testing.TB, server *Server, allowed string, flags ...string) string {
	t.Helper()
	p := startProc(t, ProcSpec{Name: "webchat", Binary: binary(t, "./adapters/webchat"), Args: append([]string{
		"--listen=127.0.0.1:0", "--server=" + server.GRPCAddr, "--allowed-origins=" + allowed,
		"--company=C1DO1", "--language=es", "--color=#0a7d5a", "--log-format=json", "--log-level=debug",
	}, flags...), Env: []string{"RELEVO_WEBCHAT_COOKIE_SECRET=e2e-cookie-secret-0123456789abcdef"}})
	var started struct {
		Msg    string `json:"msg"`
		Listen string `json:"listen"`
	}
	p.waitLine(t, startTimeout, "webchat start-up line", func(line string) bool {
		return json.Unmarshal([]byte(line), &started) == nil && started.Msg == "webchat adapter started"
	})
	return "http://" + started.Listen
}

// TestWebchatInTheBrowser opens a page with the widget in headless
// Chromium, against a real server and web chat adapter: a knowledge-base
// answer with its citation (a link when the source is a URL), a question
// that goes to a specialist, the specialist's answer arriving in the open
// page, the history after a reload, and a site not allowed refused.
func TestWebchatInTheBrowser(t *testing.T) {
	chrome := browserPath(t)
	server := startServer(t, ServerConfig{Database: t.TempDir() + "/relevo.db",
		Flags: []string{"--read-receipt-channels=whatsapp,webchat"}})
	admin := server.Dial(t, "")

	// A page of the company's site: one script tag.
	var adapterURL string
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>C1DO1</title></head>
<body><h1>C1DO1</h1><script src="%s/widget.js" data-company="C1DO1" data-color="#0a7d5a" data-open="true" async></script></body></html>`, adapterURL)
	}))
	t.Cleanup(page.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(page.URL, "http://"))
	allowed := "http://127.0.0.1:" + port
	other := "http://localhost:" + port // same page, another origin
	adapterURL = startWebchat(t, server, allowed)

	ctx := context.Background()
	// An entry whose source is a URL: its citation becomes a link.
	if _, err := admin.Knowledge.CreateEntry(ctx, &relevov1.CreateEntryRequest{
		Question: "¿Cuál es el horario de la biblioteca virtual?",
		Answer:   "La biblioteca virtual atiende de lunes a viernes de 9:00 a 18:00.",
		Source:   "https://ayuda.c1do1.com/biblioteca",
	}); err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("headless", true))...)
	defer cancelAlloc()
	// Every request the page makes, to check the widget calls no one else.
	var reqMu sync.Mutex
	hosts := map[string]bool{}
	bctx, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			if u, err := url.Parse(e.Request.URL); err == nil && u.Host != "" {
				reqMu.Lock()
				hosts[u.Host] = true
				reqMu.Unlock()
			}
		}
	}))
	defer cancelBrowser()
	// Each browser call is bounded; the first one starts the browser, which
	// lives as long as bctx.
	do := func(steps ...chromedp.Action[chromedp.Void]) error {
		c, cancel := context.WithTimeout(bctx, 90*time.Second)
		defer cancel()
		return chromedp.Do(c, steps...)
	}
	eval := func(expr string, out any) error {
		c, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[json.RawMessage](expr))
		if err != nil {
			return err
		}
		return json.Unmarshal(v, out)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	const widget = `#relevo-webchat`
	ask := func(q string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.CSS(widget+` .rw-input`), q),
			chromedp.Click(chromedp.CSS(widget+` .rw-send`)),
		)
	}
	// businessTexts returns the texts of the business's messages shown.
	businessTexts := func() ([]string, error) {
		var texts []string
		err := eval(`Array.from(document.querySelectorAll('#relevo-webchat .rw-business:not(.rw-welcome)')).map(e => e.textContent)`, &texts)
		return texts, err
	}
	waitBusiness := func(what string, n int, contains string) string {
		t.Helper()
		var last string
		eventually(t, 60*time.Second, what, func() error {
			texts, err := businessTexts()
			if err != nil {
				return err
			}
			if len(texts) < n {
				return fmt.Errorf("%d business messages shown: %q", len(texts), texts)
			}
			last = texts[n-1]
			if !strings.Contains(last, contains) {
				return fmt.Errorf("message %d is %q", n, last)
			}
			return nil
		})
		return last
	}

	step(t, 1, "the page loads the widget, which opens a session")
	if err := do(chromedp.Navigate(allowed+"/"), chromedp.WaitVisible(chromedp.CSS(widget+`[data-state="ready"]`))); err != nil {
		t.Fatal(err)
	}
	var header string
	if err := eval(`document.querySelector('#relevo-webchat .rw-title').textContent`, &header); err != nil || header != "C1DO1" {
		t.Fatalf("header %q, %v", header, err)
	}

	step(t, 2, "a question the knowledge base answers: the answer with its citation")
	if err := do(ask("¿Cómo recupero mi contraseña?")); err != nil {
		t.Fatal(err)
	}
	answer := waitBusiness("the knowledge-base answer", 1, "Fuente:")
	if !strings.Contains(answer, "contraseña") {
		t.Fatalf("answer %q", answer)
	}
	var cites []string
	if err := eval(`Array.from(document.querySelectorAll('#relevo-webchat .rw-cite')).map(e => e.textContent)`, &cites); err != nil || len(cites) != 1 || !strings.Contains(cites[0], "sample/") {
		t.Fatalf("citations %q, %v; answer %q", cites, err, answer)
	}

	step(t, 2, "the feedback buttons are buttons; tapping one sends the choice")
	if err := do(chromedp.Click(chromedp.CSS(`#relevo-webchat .rw-business[data-id] .rw-choice[data-choice="relevo.feedback.yes"]`))); err != nil {
		t.Fatal(err)
	}
	waitBusiness("the thanks for the feedback", 2, "Qué bueno")
	var disabled bool
	if err := eval(`Array.from(document.querySelectorAll('#relevo-webchat .rw-choice')).every(b => b.disabled)`, &disabled); err != nil || !disabled {
		t.Fatalf("the answered buttons are still enabled (%v)", err)
	}

	step(t, 2, "an answer whose source is a URL cites it as a link")
	if err := do(ask("¿Cuál es el horario de la biblioteca virtual?")); err != nil {
		t.Fatal(err)
	}
	waitBusiness("the entry's answer", 3, "9:00")
	var href string
	if err := eval(`Array.from(document.querySelectorAll('#relevo-webchat .rw-cite a')).map(a => a.href).join(' ')`, &href); err != nil || href != "https://ayuda.c1do1.com/biblioteca" {
		t.Fatalf("citation link %q, %v", href, err)
	}

	step(t, 3, "a question it does not answer: the notice, and a ticket")
	question := "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
	if err := do(ask(question)); err != nil {
		t.Fatal(err)
	}
	waitBusiness("the hand-off notice", 4, "especialista")
	var ticket *relevov1.Ticket
	eventually(t, 30*time.Second, "the ticket", func() error {
		resp, err := admin.Tickets.ListTickets(ctx, &relevov1.ListTicketsRequest{Status: relevov1.TicketStatus_TICKET_STATUS_OPEN})
		if err != nil {
			return err
		}
		for _, tk := range resp.GetTickets() {
			if tk.GetQuestion() == question {
				ticket = tk
				return nil
			}
		}
		return fmt.Errorf("%d open tickets, none for the question", len(resp.GetTickets()))
	})

	step(t, 4, "the specialist answers through the API; the answer arrives in the open page")
	specialist := "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula."
	if _, err := admin.Tickets.AnswerTicket(ctx, &relevov1.AnswerTicketRequest{TicketId: ticket.GetId(), Answer: specialist, AnsweredBy: "Marta"}); err != nil {
		t.Fatal(err)
	}
	waitBusiness("the specialist's answer", 5, specialist)
	eventually(t, 30*time.Second, "the answer reported read", func() error {
		conv, err := admin.Conversations.GetConversation(ctx, &relevov1.GetConversationRequest{ConversationId: ticket.GetConversationId()})
		if err != nil {
			return err
		}
		for _, m := range conv.GetMessages() {
			if m.GetText() == specialist && m.GetDeliveryStatus() == relevov1.DeliveryStatus_DELIVERY_STATUS_READ {
				return nil
			}
		}
		return fmt.Errorf("not read yet")
	})

	step(t, 5, "a reload shows the whole conversation")
	if err := do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(widget+`[data-state="ready"]`))); err != nil {
		t.Fatal(err)
	}
	waitBusiness("the history after a reload", 5, specialist)
	var users []string
	eventually(t, 30*time.Second, "the visitor's own messages in the history", func() error {
		if err := eval(`Array.from(document.querySelectorAll('#relevo-webchat .rw-user')).map(e => e.textContent)`, &users); err != nil {
			return err
		}
		if len(users) != 4 || users[1] != "Sí, gracias" || users[3] != question {
			return fmt.Errorf("user messages %q", users)
		}
		return nil
	})

	step(t, 6, "a site not in the allowlist is refused")
	if err := do(chromedp.Navigate(other+"/"), chromedp.WaitVisible(chromedp.CSS(widget+`[data-state="refused"]`))); err != nil {
		t.Fatal(err)
	}
	var shown int
	if err := eval(`document.querySelectorAll('#relevo-webchat .rw-msg:not(.rw-welcome)').length`, &shown); err != nil || shown != 0 {
		t.Fatalf("a refused page shows %d messages, %v", shown, err)
	}

	reqMu.Lock()
	defer reqMu.Unlock()
	adapterHost := strings.TrimPrefix(adapterURL, "http://")
	for h := range hosts {
		if h != adapterHost && h != "127.0.0.1:"+port && h != "localhost:"+port {
			t.Errorf("the page made a request to %s, neither the site nor the adapter", h)
		}
	}
}

// TestWebchatHandoffToNotion hands a web chat visitor's question to Notion
// exactly as a WhatsApp user's: one page, the specialist presses "Enviar",
// and the answer reaches the visitor's open page, and their history on
// another device through their verified identity — on a server with API
// keys, the adapter holding a key bound to its channel.
func TestWebchatHandoffToNotion(t *testing.T) {
	r := startJourney(t, t.TempDir()+"/relevo.db")
	const site = "https://www.c1do1.test"
	const identitySecret = "e2e-identity-secret-0123"
	base := startWebchat(t, r.server, site, "--token="+journeyWebchatKey,
		"--identity-secret="+identitySecret)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The company's backend signs its user's id; the page passes both.
	mac := hmac.New(sha256.New, []byte(identitySecret))
	mac.Write([]byte("alumno-42"))
	userHash := hex.EncodeToString(mac.Sum(nil))
	visitor := webchattest.New(base, site)
	if resp, err := visitor.Session(ctx, "alumno-42", userHash); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("session: %v %+v", err, resp)
	}
	if resp, err := webchattest.New(base, site).Session(ctx, "alumno-42", strings.Repeat("0", 64)); err != nil || resp.Status != http.StatusForbidden {
		t.Fatalf("a forged identity: %v %+v, want 403", err, resp)
	}
	events, err := visitor.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := <-events; e.Type != "ready" {
		t.Fatalf("first event %q", e.Type)
	}
	nextMessage := func(what string) string {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("event stream ended waiting for %s", what)
				}
				if e.Type == "message" {
					return e.Message.Text
				}
			case <-timeout:
				t.Fatalf("no %s within 60s", what)
			}
		}
	}

	step(t, 1, "a question the knowledge base does not cover: the notice, one ticket, one Notion page")
	question := "¿Tienen convenio con la Universidad de Antofagasta para descuentos en la matrícula?"
	if resp, err := visitor.Send(ctx, "q1", question); err != nil || resp.Status != http.StatusAccepted {
		t.Fatalf("send: %v %d %s", err, resp.Status, resp.Body)
	}
	if notice := nextMessage("the hand-off notice"); !strings.Contains(notice, "especialista") {
		t.Fatalf("notice %q", notice)
	}
	ticket := r.openTicket()
	page := r.waitPage(ticket.GetId())
	if got := r.notion.Text(page, "Pregunta"); got != question {
		t.Fatalf("page question %q", got)
	}
	if got := r.notion.Text(page, "Celular"); got != "webchat: u_alumno-42" {
		t.Fatalf("page contact %q, want the verified web chat user", got)
	}

	step(t, 2, `the specialist presses "Enviar" in Notion; the answer reaches the open page`)
	specialist := "Sí: con la Universidad de Antofagasta hay un 20% de descuento en la matrícula presentando tu credencial."
	r.notion.SetText(page, "Respuesta", "Sí: con la Universidad de Antofagasta hay un 20% de descuento ", "en la matrícula presentando tu credencial.")
	if code := r.notionWebhook(page, journeyHookSecret); code != http.StatusOK {
		t.Fatalf("Enviar webhook answered %d", code)
	}
	if got := nextMessage("the specialist's answer"); got != specialist {
		t.Fatalf("the visitor got %q, want exactly the specialist's answer", got)
	}

	step(t, 3, "the user comes back on another device: the history holds the question and the answer")
	phone := webchattest.New(base, site)
	if resp, err := phone.Session(ctx, "alumno-42", userHash); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("session on the other device: %v %+v", err, resp)
	}
	h, err := phone.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range h {
		texts = append(texts, m.Author+": "+m.Text)
	}
	joined := strings.Join(texts, "\n")
	if !strings.Contains(joined, "user: "+question) || !strings.Contains(joined, "human: "+specialist) {
		t.Fatalf("history:\n%s", joined)
	}
}

// BenchmarkWebchatRoundTrip measures a web chat visitor's greeting through
// real processes: the POST to the adapter until the server stored it
// (accept), and until the bot's reply arrived on the visitor's event stream
// (reply). Each iteration is a new visitor.
//
//	go test -tags e2e -run '^$' -bench WebchatRoundTrip -benchtime 200x ./e2e/
func BenchmarkWebchatRoundTrip(b *testing.B) {
	server := startServer(b, ServerConfig{Database: b.TempDir() + "/relevo.db"})
	const site = "https://www.c1do1.test"
	base := startWebchat(b, server, site, "--rate-per-minute=100000", "--burst=1000", "--address-rate-per-minute=0", "--log-level=info")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var accept, reply []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := webchattest.New(base, site)
		if resp, err := v.Session(ctx, "", ""); err != nil || resp.Status != http.StatusOK {
			b.Fatalf("session: %v %+v", err, resp)
		}
		sctx, stop := context.WithCancel(ctx)
		events, err := v.Events(sctx)
		if err != nil {
			b.Fatal(err)
		}
		<-events // ready
		start := time.Now()
		if resp, err := v.Send(ctx, "m1", "Hola"); err != nil || resp.Status != http.StatusAccepted {
			b.Fatalf("send: %v %+v", err, resp)
		}
		accept = append(accept, time.Since(start))
		for e := range events {
			if e.Type == "message" {
				break
			}
		}
		reply = append(reply, time.Since(start))
		stop()
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(accept, 0.5), "accept-p50-ms")
	b.ReportMetric(pct(accept, 0.99), "accept-p99-ms")
	b.ReportMetric(pct(reply, 0.5), "reply-p50-ms")
	b.ReportMetric(pct(reply, 0.99), "reply-p99-ms")
}
