// Command relevoctl is the command line of a Relevo server: it manages the
// knowledge base, tickets and conversations, checks health, and chats with
// the bot, over the server's gRPC API. Run "relevoctl --help" for the
// commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second interrupt ends the process at once
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, osEnv())
	stop()
	os.Exit(code)
}
