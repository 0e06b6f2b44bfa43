package main

import (
	"bufio"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// hostile is customer text that would clear the screen, set the window
// title, ring the bell, move the cursor back over a line and reverse the
// text direction if printed raw.
const hostile = "Hola\x1b[2J\x1b]0;pwned\x07 \r\u009b31m\u202eatad\x7f"

func hostileTicket(id string) *relevov1.Ticket {
	t := openTicket(id)
	t.Question = hostile
	t.Contact.DisplayName = hostile
	t.Contact.Address = "346001\x1b[8m"
	t.Context = []*relevov1.ConversationMessage{{Author: relevov1.Author_AUTHOR_USER, Text: hostile}}
	t.FollowUps = []*relevov1.TicketFollowUp{{Text: hostile}}
	t.LastError = hostile
	return t
}

// rawControls reports the first terminal control a text output carries
// other than the line feeds and tabs of its layout.
func rawControls(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f), unicode.Is(unicode.Bidi_Control, r):
			return r, true
		}
	}
	return 0, false
}

func TestCustomerTextCannotDriveTheTerminal(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{hostileTicket("T-1")}
	conversationFixture(f)
	f.conversations = []*relevov1.Conversation{{Id: "C-1", Contact: &relevov1.Contact{Channel: "whatsapp", Address: "346\x1b]0;x\x07", DisplayName: hostile}}}
	f.conversation.Messages[0].Text = hostile
	for _, args := range [][]string{
		{"tickets", "list"},
		{"tickets", "show", "T-1"},
		{"conversations", "list"},
		{"conversations", "show", "C-1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			res := f.run(t, "", args...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			if r, ok := rawControls(res.stdout); ok {
				t.Fatalf("output carries %U raw:\n%q", r, res.stdout)
			}
			if !strings.Contains(res.stdout, `\x1b[2J`) {
				t.Fatalf("the escape sequence is not shown escaped:\n%s", res.stdout)
			}
		})
	}
}

func TestJSONOutputKeepsCustomerTextExact(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{hostileTicket("T-1")}
	res := f.run(t, "", "-o", "json", "tickets", "list")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	if !sc.Scan() {
		t.Fatal("no output")
	}
	var got relevov1.Ticket
	if err := protojson.Unmarshal(sc.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.GetQuestion() != hostile || got.GetContact().GetDisplayName() != hostile {
		t.Fatalf("question %q, display name %q: want the exact text", got.GetQuestion(), got.GetContact().GetDisplayName())
	}
}

// FuzzSafeWriter writes arbitrary bytes in arbitrary pieces: nothing but
// line feeds and tabs below U+0020 reaches the terminal, and text without
// controls passes unchanged.
func FuzzSafeWriter(f *testing.F) {
	f.Add([]byte(hostile), 3)
	f.Add([]byte("línea\tuna\nñandú €"), 1)
	f.Add([]byte{0xe2, 0x82, 0xff, 0x1b}, 2)
	f.Fuzz(func(t *testing.T, b []byte, piece int) {
		if piece <= 0 {
			piece = 1
		}
		var out strings.Builder
		w := &safeWriter{w: &out}
		for rest := b; len(rest) > 0; {
			n := min(piece, len(rest))
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		got := out.String()
		if r, ok := rawControls(got); ok {
			t.Fatalf("%q became %q, with %U raw", b, got, r)
		}
		if _, ok := rawControls(string(b)); !ok && utf8.Valid(b) && got != string(b) {
			t.Fatalf("clean text %q changed to %q", b, got)
		}
	})
}

// A value that is one line of a show (a name, a reason, a reference) cannot
// add lines of its own: a customer named "Ana\nStatus  closed" would
// otherwise print a status the ticket does not have.
func TestOneLineValuesCannotForgeLinesInShow(t *testing.T) {
	f := startFake(t)
	const forged = "x\nForged        line\r\tz"
	tk := openTicket("T-1")
	tk.Status = relevov1.TicketStatus_TICKET_STATUS_ANSWERED
	tk.Contact.DisplayName, tk.Contact.Phone, tk.Contact.Address = forged, forged, forged
	tk.HandoffReason, tk.ExternalRef, tk.LastError, tk.AnsweredBy, tk.NotLearnedReason = forged, forged, forged, forged, forged
	tk.Context = []*relevov1.ConversationMessage{{Author: relevov1.Author_AUTHOR_HUMAN, AuthorName: forged, Text: "hola"}}
	f.tickets = []*relevov1.Ticket{tk}
	conversationFixture(f)
	f.conversation.Conversation.Contact = &relevov1.Contact{Channel: "whatsapp", Address: forged, DisplayName: forged}
	for _, args := range [][]string{
		{"tickets", "show", "T-1"},
		{"conversations", "show", "C-1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			res := f.run(t, "", args...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			if strings.Contains(res.stdout, "\nForged") || strings.Contains(res.stdout, "\r") {
				t.Fatalf("a value added a line:\n%s", res.stdout)
			}
		})
	}
	var b strings.Builder
	if err := printEntry(&safeWriter{w: &b}, &relevov1.Entry{Id: "E-1", Source: forged, Learned: true, AnsweredBy: forged}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\nForged") {
		t.Fatalf("entry: a value added a line:\n%s", b.String())
	}
}
