package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// writeJSON prints m as protobuf JSON on one line, so that lists print as
// JSON Lines.
func writeJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{}.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	b = append(b, '\n')
	_, err = rawWriter(w).Write(b)
	return err
}

// newTable starts a table of aligned columns; Flush prints it.
func newTable(w io.Writer, header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(header) > 0 {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	return tw
}

func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// oneLine folds whitespace and cuts s to at most n runes, for table cells.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func formatTime(ts *timestamppb.Timestamp) string {
	if ts == nil || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return "-"
	}
	return ts.AsTime().Local().Format("2006-01-02 15:04:05")
}

// orDash is s, or "-" when it is empty, on one line (see cell).
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return cell(s)
}

// enumText renders an enum value name without its prefix, in lower case:
// TICKET_STATUS_OPEN becomes "open".
func enumText(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}

// parseEnum reads a flag value such as "open" into the enum value named
// prefix+"OPEN". An empty value is 0 (unspecified: any).
func parseEnum(flag, value, prefix string, values map[string]int32) (int32, error) {
	if value == "" {
		return 0, nil
	}
	v, ok := values[prefix+strings.ToUpper(value)]
	if ok && v != 0 {
		return v, nil
	}
	var allowed []string
	for name, n := range values {
		if n != 0 {
			allowed = append(allowed, enumText(name, prefix))
		}
	}
	slices.Sort(allowed)
	return 0, usageErrorf("invalid --%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}

func contactText(c *relevov1.Contact) string {
	if c == nil {
		return "-"
	}
	// One line: a name with a line feed would add a line of its own to a
	// show's fields.
	s := cell(c.GetChannel() + ":" + c.GetAddress())
	if c.GetDisplayName() != "" {
		s += " (" + cell(c.GetDisplayName()) + ")"
	}
	return s
}

// textValue returns the value of a text flag, reading all of stdin when the
// value is "-".
func textValue(value string, stdin io.Reader) (string, error) {
	if value != "-" {
		return value, nil
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// isTerminal reports whether a stream is an interactive terminal.
func isTerminal(v any) bool {
	if w, ok := v.(io.Writer); ok {
		v = rawWriter(w)
	}
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readLine reads one line, without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func durationText(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// done reports the result of a change: the response with -o json, else
// one line of text.
func (g *globals) done(cmd *cobra.Command, resp proto.Message, format string, args ...any) error {
	if g.json() {
		return writeJSON(cmd.OutOrStdout(), resp)
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), format+"\n", args...)
	return err
}
