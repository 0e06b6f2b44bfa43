//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

const consoleAdminKey = "console-admin-key-0123456789"

// The console tests drive a real headless Chromium against a real server
// process. CI installs chromium; elsewhere the tests skip without one.
//
// RELEVO_CONSOLE_SCREENSHOTS=DIR saves a PNG of each page into DIR (the
// pictures of docs/console.md); a relative DIR is taken from the
// repository's root, so RELEVO_CONSOLE_SCREENSHOTS=docs/console refreshes them.

// chromiumPath finds a Chromium or Chrome to drive.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RELEVO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (chromium, chromium-browser, google-chrome) and CI=true: install it with apt-get install -y chromium")
	}
	t.Skip("no Chromium found (chromium, chromium-browser, google-chrome; or set RELEVO_CHROMIUM): the console browser tests are skipped; apt-get install -y chromium to run them")
	return ""
}

// browser starts a headless Chromium; the test's cleanup stops it.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // containers run tests as root
		chromedp.WindowSize(1440, 960),
		chromedp.Flag("lang", "es"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf), chromedp.WithListener(func(ev any) {
		// The page's own errors, for the failure report.
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			t.Logf("page exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				for _, a := range e.Args {
					t.Logf("page console error: %s %s", a.Description, a.Value)
				}
			}
		}
	}))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// consoleRig is a server with the console, a browser, and the REST calls
// that play customers.
type consoleRig struct {
	t      *testing.T
	server *Server
	base   string
	ctx    context.Context
	shots  string
}

func newConsoleRig(t *testing.T) *consoleRig {
	t.Helper()
	profile, err := os.ReadFile(filepath.Join(repoRoot(t), "server/internal/agents/profile_c1do1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Answers wait for review, so that the review queue has work.
	reviewed := strings.Replace(string(profile), "policy: auto", "policy: review", 1)
	if reviewed == string(profile) {
		t.Fatal("the sample profile no longer says learning policy: auto")
	}
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(reviewed), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, ServerConfig{
		Database: t.TempDir() + "/relevo.db", Profile: path, HTTP: true,
		APIKeys: []string{"admin:" + consoleAdminKey}, Flags: []string{"--sample-kb=false"},
	})
	shots := os.Getenv("RELEVO_CONSOLE_SCREENSHOTS")
	if shots != "" && !filepath.IsAbs(shots) {
		shots = filepath.Join(repoRoot(t), shots)
	}
	r := &consoleRig{t: t, server: s, base: "http://" + s.HTTPAddr, shots: shots}
	r.ctx = browser(t)
	return r
}

// rest calls the public API as an admin and decodes the JSON answer.
func (r *consoleRig) rest(method, path string, body any, out any) {
	r.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+consoleAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	if resp.StatusCode != 200 {
		r.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			r.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// say sends a customer's message through the REST API and waits for the
// bot's reply.
func (r *consoleRig) say(address, id, text string) string {
	r.t.Helper()
	var out struct {
		Replies []struct{ Text string } `json:"replies"`
	}
	r.rest("POST", "/v1/messages:converse", map[string]any{
		"message": map[string]any{"contact": map[string]any{"channel": "webchat", "address": address, "displayName": displayNames[address]}, "channelMessageId": id, "text": text},
	}, &out)
	var texts []string
	for _, rp := range out.Replies {
		texts = append(texts, rp.Text)
	}
	return strings.Join(texts, "\n")
}

// do runs browser actions, bounded so that a missing element fails the
// test instead of hanging it.
func (r *consoleRig) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		sctx, scancel := context.WithTimeout(r.ctx, 10*time.Second)
		defer scancel()
		if shot, _ := chromedp.Run(sctx, chromedp.CaptureScreenshot()); len(shot) > 0 {
			p := filepath.Join(os.TempDir(), fmt.Sprintf("relevo-console-failure-%d.png", time.Now().UnixNano()))
			_ = os.WriteFile(p, shot, 0o600)
			r.t.Logf("screenshot of the failure: %s", p)
		}
		if page, err := chromedp.Run(sctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`)); err == nil {
			r.t.Logf("page: %s", page)
		}
		r.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](r *consoleRig, what string, a chromedp.Action[T]) T {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shot saves a screenshot of the page as name.png when screenshots are on.
func (r *consoleRig) shot(name string) { r.capture(name, chromedp.CaptureScreenshot()) }

// fullShot saves a screenshot of the whole page, beyond the window.
func (r *consoleRig) fullShot(name string) { r.capture(name, chromedp.FullScreenshot(100)) }

func (r *consoleRig) capture(name string, how chromedp.Action[[]byte]) {
	r.t.Helper()
	if r.shots == "" {
		return
	}
	// A picture, not a check: no passing messages, the page from its top,
	// transitions finished.
	r.do("settle", eval(`document.getElementById('toasts')?.remove(); window.scrollTo(0, 0)`), chromedp.Sleep(300*time.Millisecond))
	png := get(r, "screenshot "+name, how)
	if err := os.MkdirAll(r.shots, 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.shots, name+".png"), png, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// text returns the text of the first element matching the CSS selector.
func (r *consoleRig) text(sel string) string {
	r.t.Helper()
	r.do("wait for "+sel, chromedp.WaitVisible(css(sel)))
	return get(r, "read "+sel, chromedp.Text(css(sel)))
}

// attr returns an attribute of the first element matching sel.
func (r *consoleRig) attr(sel, name string) string {
	r.t.Helper()
	return get(r, "attribute "+name+" of "+sel, chromedp.AttributeValue(css(sel), name)).Value
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// waitJS waits until the JavaScript expression is true in the page.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond))
}

// click finds the element and clicks it in one step inside the page, once
// it is shown: the console re-renders a list as its data arrives, and a
// node found by one protocol call can be gone by the next ("Could not find
// node with given id").
func click(sel string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e || e.getClientRects().length === 0) return false; e.click(); return true; })()`, sel))
}

// eval runs JavaScript for its effect.
func eval(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}

// dropFile drops a file with the given name and content on the element,
// as a drag from the desktop does.
func dropFile(sel, name, content string) chromedp.Action[chromedp.Void] {
	b, _ := json.Marshal(content)
	return eval(fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([%s], %q, { type: 'text/markdown' }));
		const el = document.querySelector(%q);
		for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
	})()`, b, name, sel))
}

var displayNames = map[string]string{"ana": "Ana", "carla": "Carla", "dario": "Darío", "eva": "Eva"}

// failWhatsAppReplies plays a WhatsApp adapter whose provider refuses every
// text reply waiting in the outbox, permanently, with the code and reason.
func (r *consoleRig) failWhatsAppReplies(code, reason string, outsideWindow bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := r.server.Dial(r.t, consoleAdminKey)
	stream, err := relevov1.NewChannelServiceClient(c.Conn()).StreamOutbound(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Subscribe{Subscribe: &relevov1.Subscribe{Channel: "whatsapp"}}}); err != nil {
		r.t.Fatal(err)
	}
	for failed := false; !failed; {
		resp, err := stream.Recv()
		if err != nil {
			r.t.Fatalf("outbound stream: %v", err)
		}
		m := resp.GetMessage()
		if m.GetKind() != relevov1.OutboundKind_OUTBOUND_KIND_TEXT {
			err = stream.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Ack{Ack: &relevov1.Ack{OutboundId: m.GetId()}}})
		} else {
			failed = true
			err = stream.Send(&relevov1.StreamOutboundRequest{Event: &relevov1.StreamOutboundRequest_Failure{Failure: &relevov1.Failure{OutboundId: m.GetId(), Code: code, Reason: reason, OutsideWindow: outsideWindow}}})
		}
		if err != nil {
			r.t.Fatal(err)
		}
	}
	want := "DELIVERY_STATUS_FAILED"
	if outsideWindow {
		want = "DELIVERY_STATUS_WAITING_FOR_WINDOW"
	}
	eventually(r.t, 30*time.Second, "the failure recorded", func() error {
		var list struct {
			Conversations []struct {
				ID      string `json:"id"`
				Contact struct{ Channel string }
			} `json:"conversations"`
		}
		r.rest("GET", "/v1/conversations?channel=whatsapp", nil, &list)
		for _, c := range list.Conversations {
			var conv struct {
				Messages []struct{ DeliveryStatus string } `json:"messages"`
			}
			r.rest("GET", "/v1/conversations/"+c.ID, nil, &conv)
			for _, m := range conv.Messages {
				if m.DeliveryStatus == want {
					return nil
				}
			}
		}
		return fmt.Errorf("no message in %s yet", want)
	})
}

const preciosMD = `# Precios

## Diplomado de Marketing Digital
El Diplomado de Marketing Digital cuesta 250.000 pesos chilenos y dura 12 semanas.
Se puede pagar en 3 cuotas sin interés.

## Curso de Excel
El Curso de Excel cuesta 45.000 pesos chilenos.
`

const cuentaMD = `# Cuenta

## Recuperar la contraseña
En la página de inicio de sesión pulsa "¿Olvidaste tu contraseña?" y escribe el correo de tu cuenta.
Recibirás un enlace válido por 24 horas.
`

func TestConsole(t *testing.T) {
	r := newConsoleRig(t)

	// The console asks for a key, refuses a wrong one, takes the admin's.
	r.do("sign-in page", chromedp.Navigate(r.base+"/console"), chromedp.WaitVisible(css("#key")))
	r.shot("signin")
	r.do("wrong key", chromedp.SendKeys(css("#key"), "not-the-key-0123456789"), click("#signin-submit"),
		waitJS(`document.querySelector('.form-error')?.textContent.length > 0`))
	r.do("sign in", eval(`document.querySelector('#key').value = ''`), chromedp.SendKeys(css("#key"), consoleAdminKey), click("#signin-submit"),
		chromedp.WaitVisible(css(".sidebar")), chromedp.WaitVisible(css("#kpi-bot-rate")))
	url := get(r, "url", chromedp.Location())
	if strings.Contains(url, consoleAdminKey) {
		t.Fatalf("the key is in the URL: %s", url)
	}

	// Upload a document from the page; another arrives through the API.
	r.rest("POST", "/v1/documents", map[string]any{"filename": "cuenta.md", "content": []byte(cuentaMD)}, nil)
	r.do("upload", chromedp.Navigate(r.base+"/console/#/knowledge"), chromedp.WaitVisible(css("#dropzone")),
		dropFile("#dropzone", "precios.md", preciosMD),
		chromedp.WaitVisible(css(`tr[data-filename="precios.md"]`)), chromedp.WaitVisible(css(`tr[data-filename="cuenta.md"]`)))

	// Messages sent through the API appear in the live list.
	r.do("conversations", chromedp.Navigate(r.base+"/console/#/conversations"), chromedp.WaitVisible(css("#conversation-list")))
	if reply := r.say("ana", "ana-1", "Hola"); reply == "" {
		t.Fatal("no greeting")
	}
	answer := r.say("ana", "ana-2", "¿Cuánto cuesta el Diplomado de Marketing Digital?")
	if !strings.Contains(answer, "250.000") {
		t.Fatalf("the bot did not answer from the uploaded document: %q", answer)
	}
	r.say("ana", "ana-3", "¿Tienen convenio con la Universidad de Chile?")
	// Bruno writes on WhatsApp: his reply waits in the outbox for the
	// adapter (played below), unlike Converse's, which are handed back.
	r.rest("POST", "/v1/messages", map[string]any{"message": map[string]any{
		"contact": map[string]any{"channel": "whatsapp", "address": "56911112222", "displayName": "Bruno"}, "channelMessageId": "wamid.bruno-1",
		"text": "¿Hay convenio con la Universidad de Chile para alumnos?",
	}}, nil)
	r.say("carla", "carla-1", "Buenas tardes")
	r.say("carla", "carla-2", "¿Cómo recupero mi contraseña?")
	// Carla types the feedback button's words: resolved by the bot.
	r.say("carla", "carla-3", "Sí, gracias")
	r.do("live list", waitJS(`document.querySelectorAll('#conversation-list tbody tr[data-id]').length === 3`))

	// A bot turn opens its run: passages with scores and the decision.
	var convs struct {
		Conversations []struct {
			ID      string `json:"id"`
			Contact struct{ Address string }
		} `json:"conversations"`
	}
	r.rest("GET", "/v1/conversations", nil, &convs)
	ana := ""
	for _, c := range convs.Conversations {
		if c.Contact.Address == "ana" {
			ana = c.ID
		}
	}
	r.do("open the answer's run", click(fmt.Sprintf(`tr[data-id="%s"]`, ana)), chromedp.WaitVisible(css(".messages .msg.bot")),
		waitJS(fmt.Sprintf(`[...document.querySelectorAll('.run-toggle')].some(b => b.textContent.includes(%q))`, outcomeLabel)),
		eval(`[...document.querySelectorAll('.run-toggle')].find(b => b.querySelector('.o-answer')).click()`),
		chromedp.WaitVisible(css(".run-panel .passage")), chromedp.WaitVisible(css(`.run-panel .decision[data-answer="true"]`)))
	if s := r.text(".run-panel .passage .source"); !strings.Contains(s, "precios.md") {
		t.Fatalf("best passage of the answer: %q", s)
	}
	if s := r.text(".run-panel .decision .chip.covered"); s == "" {
		t.Fatal("no covered term shown")
	}
	if s := r.attr(".run-panel .decision .chip.kind", "data-kind"); s != "amount" {
		t.Fatalf("kind asked: %q, want amount", s)
	}
	r.do("open the hand-off's run", eval(`[...document.querySelectorAll('.run-toggle')].find(b => b.querySelector('.o-escalate')).click()`),
		chromedp.WaitVisible(css(`.run-panel .decision[data-answer="false"]`)),
		eval(`document.querySelector('.run-panel .decision').scrollIntoView({ block: 'center' })`))
	r.shot("conversations")

	// Answer the ticket from the console; the preview shows what is
	// learned without the customer's name; it waits for review.
	var tickets struct {
		Tickets []struct {
			ID       string `json:"id"`
			Question string `json:"question"`
		} `json:"tickets"`
	}
	// Bruno's run waits out the fragment window on a loaded host: poll.
	eventually(t, 30*time.Second, "Ana's and Bruno's tickets open", func() error {
		tickets.Tickets = nil
		r.rest("GET", "/v1/tickets?status=TICKET_STATUS_OPEN", nil, &tickets)
		if len(tickets.Tickets) != 2 {
			return fmt.Errorf("open tickets: %+v", tickets.Tickets)
		}
		return nil
	})
	ticket := ""
	for _, tk := range tickets.Tickets {
		if strings.HasPrefix(tk.Question, "¿Tienen") {
			ticket = tk.ID
		}
	}
	r.do("ticket", chromedp.Navigate(r.base+"/console/#/tickets"), chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-id="%s"]`, ticket))),
		click(fmt.Sprintf(`tr[data-id="%s"]`, ticket)), chromedp.WaitVisible(css("#answer")),
		chromedp.SendKeys(css("#answer"), "Hola Ana. Sí, con la Universidad de Chile hay 20% de descuento en todos los cursos."),
		chromedp.SendKeys(css("#answered-by"), "Marta"),
		waitJS(`document.querySelector('#preview dl.learned') !== null`))
	preview := r.text("#preview")
	if !strings.Contains(preview, "20% de descuento") || strings.Contains(preview, "Ana") || strings.Contains(preview, "Marta") {
		t.Fatalf("learning preview: %q", preview)
	}
	r.fullShot("tickets")
	r.do("send the answer", click("#send-answer"), chromedp.WaitVisible(css("#learned a")))
	entryID := r.text("#learned a")

	// The learned entry waits in the review queue; approve it there.
	r.do("learned entry", click("#learned a"),
		chromedp.WaitVisible(css(fmt.Sprintf(`.entry[data-id="%s"][data-status="pending"]`, entryID))),
		click(`[data-tab="review"]`),
		chromedp.WaitVisible(css(fmt.Sprintf(`.entry[data-id="%s"] .approve`, entryID))),
		click(fmt.Sprintf(`.entry[data-id="%s"] .approve`, entryID)),
		waitJS(`document.querySelector('.entry[data-id="`+entryID+`"]') === null`))
	var entries struct {
		Entries []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"entries"`
	}
	r.rest("GET", "/v1/entries?learnedOnly=true", nil, &entries)
	if len(entries.Entries) != 1 || entries.Entries[0].ID != entryID || entries.Entries[0].Status != "ENTRY_STATUS_LIVE" {
		t.Fatalf("learned entries after approval: %+v", entries.Entries)
	}
	if reply := r.say("dario", "dario-1", "¿Tienen convenio con la Universidad de Chile?"); !strings.Contains(reply, "20%") {
		t.Fatalf("the approved answer does not answer: %q", reply)
	}
	r.say("eva", "eva-1", "¿Aceptan pagos con PayPal?")

	// The playground shows the passages and the decision.
	r.do("playground", click(`[data-tab="learnedOnly"]`), chromedp.WaitVisible(css(fmt.Sprintf(`.entry[data-id="%s"][data-status="live"]`, entryID))),
		chromedp.SendKeys(css("#ask"), "¿Cuánto cuesta el curso de Excel?"), click("#ask-submit"),
		chromedp.WaitVisible(css("#verdict.good")), chromedp.WaitVisible(css("#results .result")))
	if s := r.text("#verdict .reply"); !strings.Contains(s, "45.000") {
		t.Fatalf("playground reply: %q", s)
	}
	r.fullShot("knowledge")

	// Content gaps: the two questions about the agreement are one gap,
	// which opens its conversations.
	r.do("gaps", chromedp.Navigate(r.base+"/console/#/gaps"), chromedp.WaitVisible(css("#gap-list .gap")))
	if s := r.text("#gap-list .gap .gap-q"); !strings.Contains(strings.ToLower(s), "convenio") {
		t.Fatalf("first gap: %q", s)
	}
	count := r.attr("#gap-list .gap", "data-count")
	if count != "2" {
		t.Fatalf("the agreement gap counts %s questions, want 2", count)
	}
	r.fullShot("gaps")
	r.do("gap conversations", click("#gap-list .gap .open-gap"),
		waitJS(`document.querySelectorAll('#conversation-list tbody tr[data-id]').length === 2`))

	// Close a ticket without an answer, with the reason.
	r.rest("GET", "/v1/tickets?status=TICKET_STATUS_OPEN", nil, &tickets)
	paypal := ""
	for _, tk := range tickets.Tickets {
		if strings.Contains(tk.Question, "PayPal") {
			paypal = tk.ID
		}
	}
	r.do("close a ticket", chromedp.Navigate(r.base+"/console/#/tickets/"+paypal), chromedp.WaitVisible(css("#close-ticket")),
		click("#close-ticket"), chromedp.WaitVisible(css("dialog.modal input")),
		chromedp.SendKeys(css("dialog.modal input"), "se responde por correo"),
		click("dialog.modal [data-confirm]"), chromedp.WaitVisible(css("#ticket .badge.t-closed")))
	var closed struct {
		Ticket struct {
			Status      string `json:"status"`
			CloseReason string `json:"closeReason"`
		} `json:"ticket"`
	}
	r.rest("GET", "/v1/tickets/"+paypal, nil, &closed)
	if closed.Ticket.Status != "TICKET_STATUS_CLOSED" || closed.Ticket.CloseReason != "se responde por correo" {
		t.Fatalf("closed ticket: %+v", closed.Ticket)
	}

	r.checkOverview()

	// The list filters by owner and by outcome; the transcript shows who
	// or what changed the owner, and when.
	r.do("owner filter", chromedp.Navigate(r.base+"/console/#/conversations"), chromedp.WaitVisible(css("#filter-owner")),
		pick("#filter-owner", "resolved"),
		waitJS(`(() => { const rows = [...document.querySelectorAll('#conversation-list tbody tr[data-id]')]; return rows.length === 2 && rows.every(r => r.dataset.owner === 'resolved'); })()`),
		pick("#filter-owner", ""), pick("#filter-outcome", "resolved_by_person"),
		waitJS(fmt.Sprintf(`(() => { const rows = [...document.querySelectorAll('#conversation-list tbody tr[data-id]')]; return rows.length === 1 && rows[0].dataset.id === %q && rows[0].dataset.outcome === 'resolved_by_person'; })()`, ana)),
		pick("#filter-outcome", ""))
	r.do("transitions", chromedp.Navigate(r.base+"/console/#/conversations/"+ana),
		chromedp.WaitVisible(css(`#transitions li[data-cause="handoff"]`)), chromedp.WaitVisible(css(`#transitions li[data-cause="ticket_answered"][data-to="resolved"]`)))
	if s := r.text(`#transitions li[data-cause="ticket_answered"]`); !strings.Contains(s, "Marta") {
		t.Fatalf("the ticket's answer does not say who: %q", s)
	}
	r.shot("transcript")

	// Pause the bot and give the conversation back; erase a contact after
	// confirming.
	r.do("pause and resume", chromedp.Navigate(r.base+"/console/#/conversations/"+ana), chromedp.WaitVisible(css("#pause")),
		click("#pause"), chromedp.WaitVisible(css("#resume")), chromedp.WaitVisible(css("#owner .badge.owner-human")),
		chromedp.WaitVisible(css(`#transitions li[data-cause="pause"]`)),
		click("#resume"), chromedp.WaitVisible(css("#pause")))
	r.do("erase", click("#erase"), chromedp.WaitVisible(css("dialog.modal [data-confirm]")),
		click("dialog.modal [data-confirm]"),
		waitJS(fmt.Sprintf(`document.querySelectorAll('#conversation-list tbody tr[data-id]').length === 5 && !document.querySelector('tr[data-id=%q]')`, ana)))
	r.rest("GET", "/v1/tickets", nil, &tickets)
	for _, tk := range tickets.Tickets {
		if tk.ID == ticket {
			t.Fatalf("ticket %s of the erased contact is still listed", ticket)
		}
	}

	// Sign out forgets the key.
	r.do("sign out", click("#signout"), chromedp.WaitVisible(css("#key")))
	stored := get(r, "storage", chromedp.Evaluate[string](`sessionStorage.getItem('relevo.console.key') || ''`))
	if stored != "" {
		t.Fatal("the key stays in session storage after signing out")
	}
}

// outcomeLabel is the Spanish label of an answered turn (the sample
// profile speaks Spanish).
const outcomeLabel = "Respondido por el bot"

// TestConsoleInEnglishOnLoopbackWithoutKeys: a server without keys (so on
// loopback only) opens the console without sign-in, in the profile's
// language.
func TestConsoleInEnglishOnLoopbackWithoutKeys(t *testing.T) {
	profile, err := os.ReadFile(filepath.Join(repoRoot(t), "server/internal/agents/profile_c1do1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	english := strings.Replace(string(profile), "language: es", "language: en", 1)
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(path, []byte(english), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, ServerConfig{Database: t.TempDir() + "/relevo.db", Profile: path, HTTP: true})
	r := &consoleRig{t: t, server: s, base: "http://" + s.HTTPAddr, ctx: browser(t)}
	r.do("open", chromedp.Navigate(r.base+"/console/"), chromedp.WaitVisible(css("#kpi-bot-rate")))
	if s := r.text(".nav-link.active"); s != "Overview" {
		t.Fatalf("active page: %q, want Overview", s)
	}
	if s := r.text(".sidebar .badge"); !strings.Contains(s, "local only") {
		t.Fatalf("no sign of the keyless mode: %q", s)
	}
	r.do("knowledge", chromedp.Navigate(r.base+"/console/#/knowledge"), chromedp.WaitVisible(css(`tr[data-filename^="sample/"]`)),
		chromedp.SendKeys(css("#ask"), "How do I reset my password?"), click("#ask-submit"), chromedp.WaitVisible(css("#verdict")))
	if s := r.text("#verdict .verdict-title"); !strings.HasPrefix(s, "The bot would") {
		t.Fatalf("verdict: %q", s)
	}
}

// pick chooses a value of a <select>, as a person does.
func pick(sel, value string) chromedp.Action[chromedp.Void] {
	return eval(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); })()`, sel, value))
}

// checkOverview holds the Overview to the outcome API: the chart's outcome
// series and the rates are GetResolutionStats' numbers, its open series
// the conversations not resolved since their last message; a reply
// WhatsApp refused and one waiting for the 24-hour window need attention.
func (r *consoleRig) checkOverview() {
	t := r.t
	t.Helper()
	r.failWhatsAppReplies("131047", "Re-engagement message: more than 24 hours have passed since the customer last replied", false)
	r.rest("POST", "/v1/messages", map[string]any{"message": map[string]any{
		"contact": map[string]any{"channel": "whatsapp", "address": "56933334444", "displayName": "Fernanda"}, "channelMessageId": "wamid.fernanda-1",
		"text": "Hola",
	}}, nil)
	r.failWhatsAppReplies("131047", "Re-engagement message", true)

	var stats struct {
		ResolvedByBot, ResolvedByPerson, Abandoned, Total int
		BotRate, PersonRate, AbandonedRate                float64
	}
	r.rest("GET", "/v1/resolutions:stats?from=2020-01-01T00:00:00Z", nil, &stats)
	var res struct {
		Resolutions []struct{ ConversationID, Outcome, ResolvedAt string }
	}
	r.rest("GET", "/v1/resolutions?pageSize=500", nil, &res)
	var convs struct {
		Conversations []struct {
			ID, Owner, LastActivityAt string
			Contact                   struct{ Address string }
		}
	}
	r.rest("GET", "/v1/conversations?pageSize=500", nil, &convs)
	// Carla confirmed the bot's answer, Marta answered Ana's ticket, Eva's
	// was closed unanswered.
	outcomes := map[string]string{}
	for _, c := range convs.Conversations {
		for _, x := range res.Resolutions {
			if x.ConversationID == c.ID {
				outcomes[c.Contact.Address] += x.Outcome + " "
			}
		}
	}
	for who, want := range map[string]string{"carla": "RESOLVED_BY_BOT", "ana": "RESOLVED_BY_PERSON", "eva": "ABANDONED"} {
		if !strings.Contains(outcomes[who], want) {
			t.Fatalf("%s's outcomes: %q, want %s (stats %+v)", who, outcomes[who], want, stats)
		}
	}
	ms := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("time %q: %v", s, err)
		}
		return v.Truncate(time.Millisecond)
	}
	last := map[string]time.Time{}
	for _, x := range res.Resolutions {
		if at := ms(x.ResolvedAt); at.After(last[x.ConversationID]) {
			last[x.ConversationID] = at
		}
	}
	open := 0
	for _, c := range convs.Conversations {
		lo, ok := last[c.ID]
		if c.Owner != "OWNER_RESOLVED" && !(ok && !lo.Before(ms(c.LastActivityAt))) {
			open++
		}
	}

	r.do("overview", chromedp.Navigate(r.base+"/console/#/overview"), chromedp.WaitVisible(css("#outcomes-chart svg")),
		chromedp.WaitVisible(css(`#failures tr[data-status="waiting_for_window"]`)))
	if s := r.text(`#failures tr[data-status="failed"]`); !strings.Contains(s, "24 hours") {
		t.Fatalf("failure shown: %q", s)
	}
	got := get(r, "chart", chromedp.Evaluate[map[string]int](`(() => { const n = {}; for (const b of document.querySelectorAll('#outcomes-chart rect.bar')) n[b.dataset.series] = (n[b.dataset.series] || 0) + Number(b.dataset.count); return n; })()`))
	if got["resolved_by_bot"] != stats.ResolvedByBot || got["resolved_by_person"] != stats.ResolvedByPerson || got["abandoned"] != stats.Abandoned ||
		got["open"] != open || open == 0 {
		t.Fatalf("chart %v; outcome API %+v, %d open", got, stats, open)
	}
	for id, rate := range map[string]float64{"bot-rate": stats.BotRate, "person-rate": stats.PersonRate, "abandoned-rate": stats.AbandonedRate} {
		if s, want := r.text("#kpi-"+id+" .kpi-value"), fmt.Sprintf("%d%%", int(math.Round(rate*100))); s != want {
			t.Fatalf("%s: %q, the outcome API says %s", id, s, want)
		}
	}
	r.fullShot("overview")
}
