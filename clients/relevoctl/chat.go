package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// converseGrace is added to the server-side wait to bound each Converse
// call, so the server's own timeout answers first.
const converseGrace = 15 * time.Second

func newChatCmd(g *globals) *cobra.Command {
	var channel, address, name string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Chat with the bot from the terminal, as a customer would",
		Long: `chat reads lines from stdin and sends each one to the bot as a message of the
contact (--channel, --address), then prints the bot's replies. Reply buttons
are listed as numbered options: typing the number picks that option. /quit or
end of input leaves. Input need not be a terminal, so a conversation can be
scripted:

  printf 'hola\n¿cuál es el horario?\n' | relevoctl chat --address test-1

With -o json each answer prints as a ConverseResponse on one line. A failed
message is reported on stderr and the chat goes on; the command then exits 1.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if address == "" {
				address = defaultChatAddress(g.env)
			}
			if !cmd.Flags().Changed("name") {
				name = g.env.getenv("USER")
			}
			if wait <= 0 {
				return usageErrorf("--wait must be positive")
			}
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()

			stdin, stdout, stderr := cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			interactive := isTerminal(stdin)
			contact := &relevov1.Contact{Channel: channel, Address: address, DisplayName: name}
			if interactive {
				fmt.Fprintf(stderr, "Chatting as %s. Type /quit to leave.\n", contactText(contact))
			}
			readCtx, stopReading := context.WithCancel(cmd.Context())
			defer stopReading()
			lines, readErr := readLines(readCtx, stdin)
			var options []*relevov1.Button // the numbered buttons of the last answer
			failed := 0
		chat:
			for {
				if interactive {
					fmt.Fprint(stderr, "> ")
				}
				var line string
				select {
				case <-cmd.Context().Done():
					return nil // interrupted: a normal way to leave
				case l, ok := <-lines:
					if !ok {
						if err := <-readErr; err != nil {
							return fmt.Errorf("read stdin: %w", err)
						}
						break chat
					}
					line = strings.TrimSpace(l)
				}
				if line == "" {
					continue
				}
				if line == "/quit" {
					break chat
				}
				msg := chatMessage(contact, line, options)
				ctx, cancel := context.WithTimeout(cmd.Context(), wait+converseGrace)
				resp, err := c.Channels.Converse(ctx, &relevov1.ConverseRequest{Message: msg, Timeout: durationpb.New(wait)})
				cancel()
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil
					}
					if chatFatal(err) {
						return fmt.Errorf("send message: %w", err)
					}
					failed++
					fmt.Fprintln(stderr, "Error: send message:", errorText(err))
					continue
				}
				if g.json() {
					err = writeJSON(stdout, resp)
				} else {
					err = printReplies(stdout, stderr, resp, wait)
				}
				if err != nil {
					return err
				}
				options = buttonsOf(resp)
			}
			if failed > 0 {
				return fmt.Errorf("%d message(s) failed", failed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "cli", "channel of the contact")
	cmd.Flags().StringVar(&address, "address", "", "address of the contact (default $USER@hostname)")
	cmd.Flags().StringVar(&name, "name", "", "display name of the contact (default $USER)")
	cmd.Flags().DurationVar(&wait, "wait", 60*time.Second, "how long the server waits for the bot's replies to each message")
	return cmd
}

// readLines reads r line by line into a channel, so that waiting for input
// can end with ctx. The channel closes at end of input or when ctx ends,
// after the error channel got the read error, if any. A read blocked on a
// terminal outlives ctx only until the process exits.
func readLines(ctx context.Context, r io.Reader) (<-chan string, <-chan error) {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		in := bufio.NewScanner(r)
		in.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for in.Scan() {
			select {
			case lines <- in.Text():
			case <-ctx.Done():
				errc <- nil
				return
			}
		}
		errc <- in.Err()
	}()
	return lines, errc
}

func defaultChatAddress(e env) string {
	user := e.getenv("USER")
	if user == "" {
		user = "user"
	}
	host, err := e.hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return user + "@" + host
}

// chatMessage builds the message for one typed line: the number of one of
// the offered options picks it, anything else is text.
func chatMessage(contact *relevov1.Contact, line string, options []*relevov1.Button) *relevov1.InboundMessage {
	msg := &relevov1.InboundMessage{
		Contact:          contact,
		ChannelMessageId: "cli-" + rand.Text(),
		Kind:             relevov1.InboundKind_INBOUND_KIND_TEXT,
		Text:             line,
	}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(options) {
		b := options[n-1]
		msg.Kind = relevov1.InboundKind_INBOUND_KIND_CHOICE
		msg.Choice = &relevov1.Choice{Id: b.GetId(), Title: b.GetTitle()}
		msg.Text = b.GetTitle()
	}
	return msg
}

// chatFatal reports whether an error would repeat for every message, so the
// chat should end rather than go on.
func chatFatal(err error) bool {
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented:
		return true
	}
	return false
}

func buttonsOf(resp *relevov1.ConverseResponse) []*relevov1.Button {
	var bs []*relevov1.Button
	for _, r := range resp.GetReplies() {
		bs = append(bs, r.GetButtons()...)
	}
	return bs
}

func printReplies(stdout, stderr io.Writer, resp *relevov1.ConverseResponse, wait time.Duration) error {
	n := 0
	for _, r := range resp.GetReplies() {
		switch r.GetKind() {
		case relevov1.OutboundKind_OUTBOUND_KIND_MARK_READ:
			continue
		case relevov1.OutboundKind_OUTBOUND_KIND_TEMPLATE:
			t := r.GetTemplate()
			fmt.Fprintf(stdout, "[template %s (%s): %s]\n", t.GetName(), t.GetLanguage(), strings.Join(t.GetBodyParams(), " | "))
		default:
			fmt.Fprintln(stdout, r.GetText())
		}
		for _, b := range r.GetButtons() {
			n++
			fmt.Fprintf(stdout, "  %d) %s\n", n, b.GetTitle())
		}
	}
	switch {
	case resp.GetTimedOut():
		fmt.Fprintf(stderr, "(no answer within %s; the bot may still be working)\n", wait)
	case len(resp.GetReplies()) == 0:
		fmt.Fprintln(stderr, "(no answer: a person is in charge of this conversation)")
	}
	return nil
}
