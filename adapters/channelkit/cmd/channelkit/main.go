// Command channelkit checks a channel adapter against Relevo's channel
// contract: it plays the server side (a fake ChannelService on a loopback
// port), starts the adapter pointed at it, drives it through its provider
// side and prints each check's result.
//
//	go run ./adapters/channelkit/cmd/channelkit --adapter webchat
//	go run ./adapters/channelkit/cmd/channelkit --adapter example-typescript -- node --import tsx src/main.ts
//	go run ./adapters/channelkit/cmd/channelkit --adapter notion   # the ticket desk side
//
// Without a command after --, the adapter is started from this repository
// (go run ./adapters/NAME, or the TypeScript example with node). Exit status
// 1 means a check failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/relevo/relevo/adapters/channelkit"
	"github.com/relevo/relevo/adapters/channelkit/drivers"
)

func main() {
	fs := flag.NewFlagSet("channelkit", flag.ContinueOnError)
	adapter := fs.String("adapter", "", "adapter to check: whatsapp, webchat, example-typescript, or the desk notion")
	dir := fs.String("dir", "", "working directory of the adapter command (default: the current one)")
	timeout := fs.Duration("step-timeout", channelkit.Timeout, "bound of each step of a check")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: channelkit --adapter NAME [--dir DIR] [-- COMMAND ARGS...]\n\n"+
			"Plays the Relevo server against a channel adapter and checks the channel contract.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	channelkit.Timeout = *timeout
	cmd := drivers.Command{Argv: fs.Args(), Dir: *dir}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var d channelkit.Driver
	switch *adapter {
	case "notion":
		if len(cmd.Argv) == 0 {
			cmd.Argv = []string{"go", "run", "./adapters/notion"}
		}
		desk := &drivers.Notion{Cmd: cmd}
		results, err := channelkit.RunDesk(ctx, desk)
		report(desk.Name(), results, err)
		return
	case "whatsapp":
		if len(cmd.Argv) == 0 {
			cmd.Argv = []string{"go", "run", "./adapters/whatsapp"}
		}
		d = &drivers.WhatsApp{Cmd: cmd}
	case "webchat":
		if len(cmd.Argv) == 0 {
			cmd.Argv = []string{"go", "run", "./adapters/webchat"}
		}
		d = &drivers.Webchat{Cmd: cmd}
	case "example-typescript":
		if len(cmd.Argv) == 0 {
			cmd.Argv = []string{"node", "--import", "tsx", "src/main.ts"}
			if cmd.Dir == "" {
				cmd.Dir = filepath.Join("adapters", "example-typescript")
			}
		}
		d = &drivers.Example{Cmd: cmd}
	default:
		fmt.Fprintf(os.Stderr, "channelkit: --adapter %q: want whatsapp, webchat, example-typescript or notion\n", *adapter)
		os.Exit(2)
	}
	results, err := channelkit.Run(ctx, d)
	report(d.Name(), results, err)
}

// report prints the results and exits 1 when a check failed.
func report(name string, results []channelkit.Result, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "channelkit:", err)
		os.Exit(1)
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", r.Name, r.Err)
		} else {
			fmt.Printf("ok   %s\n", r.Name)
		}
	}
	fmt.Printf("%s: %d passed, %d failed\n", name, len(results)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
