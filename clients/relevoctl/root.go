package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/clients/relevo"
)

const (
	defaultServer = "127.0.0.1:50051"
	envServer     = "RELEVO_SERVER"
	envToken      = "RELEVO_TOKEN"
)

// env is what relevoctl takes from the process besides its streams, so
// that tests can run commands in-process with an environment of their own.
type env struct {
	getenv   func(string) string
	hostname func() (string, error)
}

func osEnv() env { return env{getenv: os.Getenv, hostname: os.Hostname} }

// globals holds the values of the global flags, shared by every command.
type globals struct {
	env env

	server             string
	token              string
	useTLS             bool
	insecureSkipVerify bool
	tlsCA              string
	timeout            time.Duration
	output             string
}

// usageError is a mistake in the command line; it exits with code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run executes one command line and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) int {
	root := newRootCmd(&globals{env: e})
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	// Everything but JSON goes through safeWriter: what the server returns
	// holds customers' text.
	stdout, stderr = &safeWriter{w: stdout}, &safeWriter{w: stderr}
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "Error:", errorText(err))
	var ue usageError
	if errors.As(err, &ue) {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	return 1
}

// errorText renders err for the operator. gRPC's own rendering of a status
// ("rpc error: code = NotFound desc = ...") becomes "NotFound: ...".
func errorText(err error) string {
	var se interface {
		error
		GRPCStatus() *status.Status
	}
	if errors.As(err, &se) {
		s := se.GRPCStatus()
		return strings.Replace(err.Error(), se.Error(), s.Code().String()+": "+s.Message(), 1)
	}
	return err.Error()
}

// newRootCmd builds the command tree. Each command group lives in its own
// file as newXxxCmd(*globals); adding one is one line here.
func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "relevoctl",
		Short: "Command line of a Relevo server",
		Long: `relevoctl manages a Relevo server over its gRPC API: the knowledge base,
tickets, conversations and health, and chats with the bot.

The server address comes from --server or $` + envServer + `, the API key from
--token or $` + envToken + ` (sent as "authorization: Bearer <token>").

Output: -o text (default) prints tables and readable details; -o json prints
protobuf JSON on stdout: list commands print one JSON object per line (one per
item, across all pages fetched), other commands print one object. Diagnostics,
progress and prompts go to stderr.

Exit codes: 0 success, 1 the command failed (the gRPC status code and message
are printed on stderr), 2 usage error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			switch g.output {
			case "text", "json":
				return nil
			}
			return usageErrorf("invalid --output %q: want text or json", g.output)
		},
	}
	groupCmd(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	f := root.PersistentFlags()
	f.StringVar(&g.server, "server", defaultServer, "server address host:port (env "+envServer+")")
	f.StringVar(&g.token, "token", "", "API key (env "+envToken+")")
	f.BoolVar(&g.useTLS, "tls", false, "connect with TLS")
	f.BoolVar(&g.insecureSkipVerify, "tls-insecure-skip-verify", false, "with TLS, do not verify the server certificate (implies --tls)")
	f.StringVar(&g.tlsCA, "tls-ca", "", "with TLS, PEM file of the CA to verify the server with (implies --tls)")
	f.DurationVar(&g.timeout, "timeout", 30*time.Second, "deadline of each call")
	f.StringVarP(&g.output, "output", "o", "text", "output format: text or json")

	root.AddCommand(
		newHealthCmd(g),
		newKBCmd(g),
		newTicketsCmd(g),
		newConversationsCmd(g),
		newStatsCmd(g),
		newDeliveriesCmd(g),
		newChatCmd(g),
		newVersionCmd(),
	)
	return root
}

// groupCmd makes cmd a group of subcommands: alone it prints its help, and
// an unknown subcommand is a usage error rather than cobra's silent help.
func groupCmd(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // cobra's own default
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return cmd
}

// usageArgs turns cobra's argument-count errors into usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// dial connects to the server named by the global flags. The connection is
// lazy: an unreachable server shows as Unavailable on the first call.
func (g *globals) dial(cmd *cobra.Command) (*relevo.Client, error) {
	server := g.server
	if !cmd.Flags().Changed("server") {
		if v := g.env.getenv(envServer); v != "" {
			server = v
		}
	}
	token := g.token
	if !cmd.Flags().Changed("token") {
		token = g.env.getenv(envToken)
	}
	opts := []relevo.Option{relevo.WithToken(token)}
	if g.useTLS || g.insecureSkipVerify || g.tlsCA != "" {
		cfg, err := g.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, relevo.WithTLS(cfg))
	} else if token != "" && !loopback(server) {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: sending the API key without TLS to %s; use --tls unless a trusted proxy is in between\n", server)
	}
	return relevo.Dial(cmd.Context(), server, opts...)
}

func (g *globals) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: g.insecureSkipVerify} //nolint:gosec // opt-in by flag, for test servers
	if g.tlsCA != "" {
		pem, err := os.ReadFile(g.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("read --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read --tls-ca %s: no PEM certificate found", g.tlsCA)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func loopback(server string) bool {
	host, _, err := net.SplitHostPort(server)
	if err != nil {
		host = server
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// callContext bounds one call by --timeout.
func (g *globals) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, g.timeout)
}

// json reports whether -o json was asked for.
func (g *globals) json() bool { return g.output == "json" }

// logger logs the diagnostics of long-running commands on stderr.
func logger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
}
