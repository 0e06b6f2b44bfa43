// Package drivers holds the conformance kit's drivers of Relevo's own
// adapters: WhatsApp (against the fake Cloud API of graphtest), the web chat
// (as a browser would use it) and the TypeScript example (against a fake
// webhook provider). Each starts the adapter as a process.
package drivers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/relevo/relevo/adapters/channelkit"
)

// Command is how to start an adapter: argv, working directory and
// environment added to the kit's own (minus RELEVO_* variables, which would
// configure the adapter behind the driver's back).
type Command struct {
	Argv []string
	Dir  string
}

// proc is a started adapter process whose output is kept for reports.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []string
	done chan struct{}
}

// start runs c with env and waits for its JSON start-up line (msg equal to
// startMsg) and returns the address in its "listen" field. With an empty
// startMsg it returns at once; the caller waits for the adapter its own way.
func start(ctx context.Context, c Command, env []string, startMsg string) (*proc, string, error) {
	if len(c.Argv) == 0 {
		return nil, "", fmt.Errorf("no command to start the adapter")
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RELEVO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	listen := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var l struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == startMsg && l.Listen != "" {
				select {
				case listen <- l.Listen:
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	if startMsg == "" {
		return p, "", nil
	}
	select {
	case addr := <-listen:
		return p, addr, nil
	case <-p.done:
		return nil, "", fmt.Errorf("%s exited before it started:\n%s", c.Argv[0], p.output())
	case <-ctx.Done():
		p.stop()
		return nil, "", fmt.Errorf("%s did not log %q: %w\n%s", c.Argv[0], startMsg, ctx.Err(), p.output())
	}
}

// output returns what the process printed.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// stop sends SIGTERM to the process group, then SIGKILL after a while.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// sentLog is the provider side's record of what the adapter sent. Drivers
// whose provider fake records the messages itself only use its wake-ups;
// the others keep the messages in it (add, wait).
type sentLog struct {
	mu      sync.Mutex
	changed chan struct{}
	got     []channelkit.Sent
}

func newSentLog() *sentLog { return &sentLog{changed: make(chan struct{})} }

func (l *sentLog) notify() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
}

// add records a message and wakes the waiters.
func (l *sentLog) add(m channelkit.Sent) {
	l.mu.Lock()
	l.got = append(l.got, m)
	l.mu.Unlock()
	l.notify()
}

// wait waits until at least n messages were recorded and returns them all.
func (l *sentLog) wait(ctx context.Context, n int) ([]channelkit.Sent, error) {
	got := func() []channelkit.Sent {
		l.mu.Lock()
		defer l.mu.Unlock()
		return append([]channelkit.Sent(nil), l.got...)
	}
	err := l.waitFor(ctx, n, func() int { return len(got()) })
	return got(), err
}

// waitFor calls n until it reports at least want items, or ctx ends.
func (l *sentLog) waitFor(ctx context.Context, want int, n func() int) error {
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		if n() >= want {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond): // providers that record without notifying
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d messages at the provider: %w", want, ctx.Err())
		}
	}
}
