//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// slowConn writes at most chunk bytes at a time with a pause between them,
// so that an upload lasts long enough for the server to be stopped
// meanwhile. written counts what went out.
type slowConn struct {
	net.Conn
	chunk   int
	pause   time.Duration
	written *atomic.Int64
}

func (c slowConn) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), c.chunk)
		m, err := c.Conn.Write(b[:k])
		n += m
		c.written.Add(int64(m))
		if err != nil {
			return n, err
		}
		b = b[k:]
		time.Sleep(c.pause) // the behaviour under test: a slow client, whose upload is still in flight at the signal
	}
	return n, nil
}

// markdown is a document of about size bytes.
func markdown(size int) []byte {
	var b bytes.Buffer
	b.WriteString("# Horarios\n\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "La sede %d atiende de lunes a viernes de 9 a 18 horas.\n\n", i)
	}
	return b.Bytes()
}

// TestSIGTERMLetsCallsInFlightFinish stops the server (SIGTERM) while a slow
// REST upload, a slow native gRPC upload and a burst of HandleMessage calls
// are in flight: every call either completes or is refused before it
// starts, and the process exits 0.
func TestSIGTERMLetsCallsInFlightFinish(t *testing.T) {
	srv := startServer(t, ServerConfig{Database: t.TempDir() + "/relevo.db", HTTP: true, Flags: []string{"--shutdown-timeout=30s"}})
	ctx := context.Background()

	// A REST upload whose body arrives slowly, half before the signal and
	// half after.
	body := &bytes.Buffer{}
	_ = json.NewEncoder(body).Encode(map[string]string{"filename": "rest.md", "content": base64.StdEncoding.EncodeToString(markdown(64 << 10))})
	restBody := body.Bytes()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", "http://"+srv.HTTPAddr+"/v1/documents", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(restBody))
	req.Header.Set("Content-Type", "application/json")
	restDone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
			}
		}
		restDone <- err
	}()
	half := len(restBody) / 2
	if _, err := pw.Write(restBody[:half]); err != nil {
		t.Fatal(err)
	}
	// The upload's connection was accepted before this one, which is
	// answered only once accepted: the upload is in flight at the server.
	if resp, err := http.Get("http://" + srv.HTTPAddr + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	// A native gRPC upload of 2.5 MiB written at about 256 KiB/s.
	var written atomic.Int64
	slow, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return slowConn{Conn: c, chunk: 16 << 10, pause: 60 * time.Millisecond, written: &written}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	grpcDone := make(chan error, 1)
	go func() {
		_, err := relevov1.NewKnowledgeServiceClient(slow).UploadDocument(ctx, &relevov1.UploadDocumentRequest{Filename: "grpc.md", Content: markdown(5 << 19)})
		grpcDone <- err
	}()
	eventually(t, 30*time.Second, "half a MiB of the gRPC upload on the wire", func() error {
		if n := written.Load(); n < 512<<10 {
			return fmt.Errorf("%d bytes written", n)
		}
		return nil
	})

	// A burst of HandleMessage calls from several connections, going on
	// until each connection is refused.
	type result struct {
		id  string
		err error
	}
	var (
		mu      sync.Mutex
		results []result
		burst   sync.WaitGroup
		started = make(chan struct{}, 8)
	)
	for w := range 8 {
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := relevov1.NewChannelServiceClient(conn)
		burst.Add(1)
		go func() {
			defer burst.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("wamid.burst.%d.%d", w, i)
				_, err := c.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
					Contact: &relevov1.Contact{Channel: "whatsapp", Address: fmt.Sprintf("5691000000%d", w)}, ChannelMessageId: id, Text: "Hola",
				}})
				mu.Lock()
				results = append(results, result{id, err})
				mu.Unlock()
				if i == 10 {
					started <- struct{}{}
				}
				if err != nil {
					return
				}
			}
		}()
	}
	for range 8 {
		<-started
	}

	go srv.signal(t, syscall.SIGTERM, stopTimeout)
	srv.waitLine(t, stopTimeout, "the shutdown log line", func(line string) bool { return strings.Contains(line, `"shutting down"`) })
	for off := half; off < len(restBody); off += 4 << 10 {
		if _, err := pw.Write(restBody[off:min(off+4<<10, len(restBody))]); err != nil {
			t.Fatalf("rest upload cut after the signal: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the behaviour under test: the body keeps arriving slowly during the shutdown
	}
	pw.Close()

	if err := <-restDone; err != nil {
		t.Errorf("REST upload in flight at SIGTERM: %v", err)
	}
	if err := <-grpcDone; err != nil {
		t.Errorf("gRPC upload in flight at SIGTERM: %v", err)
	}
	burst.Wait()
	<-srv.Exited()
	if err := srv.ExitErr(); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", err)
	}

	// Every call either completed or was refused before it started: after
	// a restart, the completed ones are stored and the refused ones are not.
	srv.Restart(t)
	c := srv.Dial(t, "").Channels
	var ok, refused int
	for _, r := range results {
		if r.err != nil && status.Code(r.err) != codes.Unavailable {
			t.Errorf("%s: %v, want success or UNAVAILABLE", r.id, r.err)
			continue
		}
		w := strings.Split(r.id, ".")[2]
		again, err := c.HandleMessage(ctx, &relevov1.HandleMessageRequest{Message: &relevov1.InboundMessage{
			Contact: &relevov1.Contact{Channel: "whatsapp", Address: "5691000000" + w}, ChannelMessageId: r.id, Text: "Hola",
		}})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.err == nil && !again.GetDuplicate():
			t.Errorf("%s: answered OK but not stored", r.id)
		case r.err != nil && again.GetDuplicate():
			t.Errorf("%s: refused (%v) but stored", r.id, r.err)
		case r.err == nil:
			ok++
		default:
			refused++
		}
	}
	t.Logf("burst: %d calls completed, %d refused", ok, refused)
	docs, err := srv.Dial(t, "").Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range docs.GetDocuments() {
		names[d.GetFilename()] = true
	}
	if !names["rest.md"] || !names["grpc.md"] {
		t.Errorf("documents after restart: %v, want both uploads", names)
	}
}
