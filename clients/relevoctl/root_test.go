package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func TestTokenIsSentAsBearer(t *testing.T) {
	f := startFake(t)
	f.tickets = []*relevov1.Ticket{{Id: "T-1"}}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{name: "the --token flag is sent", args: []string{"--token", "k1"}, want: "Bearer k1"},
		{name: "RELEVO_TOKEN is sent without the flag", env: map[string]string{"RELEVO_TOKEN": "k2"}, want: "Bearer k2"},
		{name: "the flag wins over the environment", env: map[string]string{"RELEVO_TOKEN": "k2"}, args: []string{"--token", "k3"}, want: "Bearer k3"},
		{name: "no token sends no header", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.allCalls())
			args := append([]string{"--server", f.addr}, tt.args...)
			res := runWith(t, testEnv(tt.env), "", append(args, "tickets", "show", "T-1")...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			calls := f.allCalls()[before:]
			if len(calls) != 1 || calls[0].auth != tt.want {
				t.Fatalf("calls %+v, want one with authorization %q", calls, tt.want)
			}
		})
	}
}

func TestServerComesFromTheEnvironment(t *testing.T) {
	f := startFake(t)
	res := runWith(t, testEnv(map[string]string{"RELEVO_SERVER": f.addr}), "", "kb", "list")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if n := len(f.requests("ListDocuments")); n != 1 {
		t.Fatalf("server from RELEVO_SERVER got %d ListDocuments calls, want 1", n)
	}
}

func TestUsageErrorsExitTwoWithoutCalling(t *testing.T) {
	f := startFake(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command", []string{"tikets"}, `unknown command "tikets"`},
		{"an unknown subcommand", []string{"kb", "uplod"}, `did you mean upload?`},
		{"an unknown flag", []string{"tickets", "list", "--colour"}, "unknown flag: --colour"},
		{"a missing argument", []string{"tickets", "show"}, "accepts 1 arg(s)"},
		{"an invalid status", []string{"tickets", "list", "--status", "pending"}, "want one of answered, closed, open"},
		{"an invalid state", []string{"conversations", "list", "--state", "asleep"}, "want one of bot, paused, ticket_open"},
		{"an invalid output format", []string{"-o", "yaml", "kb", "list"}, `invalid --output "yaml"`},
		{"an answer without text", []string{"tickets", "answer", "T-1"}, "--text is required"},
		{"an entry without answer", []string{"kb", "entries", "add", "--question", "q"}, "--question and --answer are required"},
		{"an edit that changes nothing", []string{"kb", "entries", "edit", "E-1"}, "give --question, --answer or both"},
		{"an erase without address", []string{"conversations", "erase", "--channel", "whatsapp", "--yes"}, "--channel and --address are required"},
		{"a show with both id and contact", []string{"conversations", "show", "C-1", "--channel", "x", "--address", "y"}, "give a conversation ID, or --channel and --address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.run(t, "", tt.args...)
			if res.code != 2 {
				t.Errorf("exit %d, want 2", res.code)
			}
			if !strings.Contains(res.stderr, tt.want) || !strings.Contains(res.stderr, "--help' for usage") {
				t.Errorf("stderr %q, want it to contain %q and a pointer to --help", res.stderr, tt.want)
			}
			if res.stdout != "" {
				t.Errorf("stdout %q, want nothing", res.stdout)
			}
		})
	}
	if calls := f.allCalls(); len(calls) != 0 {
		t.Errorf("usage errors made calls: %+v", calls)
	}
}

func TestCallErrorsPrintTheStatusAndExitOne(t *testing.T) {
	f := startFake(t)
	res := f.run(t, "", "tickets", "show", "T-404")
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if want := "Error: get ticket T-404: NotFound: ticket T-404 not found\n"; res.stderr != want {
		t.Errorf("stderr %q, want %q", res.stderr, want)
	}
	if res.stdout != "" {
		t.Errorf("stdout %q, want nothing", res.stdout)
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	res := runWith(t, testEnv(nil), "", "--server", addr, "--timeout", "5s", "kb", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "Unavailable") {
		t.Errorf("exit %d, stderr %q; want 1 and Unavailable", res.code, res.stderr)
	}
}

func TestHealth(t *testing.T) {
	f := startFake(t)
	tests := []struct {
		name     string
		status   healthpb.HealthCheckResponse_ServingStatus
		args     []string
		wantCode int
		wantOut  string
	}{
		{"a serving server exits 0", healthpb.HealthCheckResponse_SERVING, nil, 0, "SERVING\n"},
		{"a server not serving exits 1", healthpb.HealthCheckResponse_NOT_SERVING, nil, 1, "NOT_SERVING\n"},
		{"json prints the response", healthpb.HealthCheckResponse_SERVING, []string{"-o", "json"}, 0, `"status":"SERVING"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.health.SetServingStatus("", tt.status)
			res := f.run(t, "", append(tt.args, "health")...)
			if res.code != tt.wantCode || !strings.Contains(strings.ReplaceAll(res.stdout, " ", ""), tt.wantOut) {
				t.Errorf("exit %d, stdout %q; want %d and %q", res.code, res.stdout, tt.wantCode, tt.wantOut)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	certPEM, cert := selfSignedCert(t)
	f := startFake(t, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"the server's CA verifies it", []string{"--tls", "--tls-ca", caFile}, 0},
		{"skipping verification connects", []string{"--tls-insecure-skip-verify"}, 0},
		{"an unknown CA is refused", []string{"--tls"}, 1},
		{"plaintext to a TLS server fails", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.run(t, "", append(tt.args, "--timeout", "5s", "kb", "list")...)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", res.code, tt.wantCode, res.stderr)
			}
		})
	}
}

func selfSignedCert(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "relevo test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, cert
}

func TestLoopbackAddressesNeedNoTLSWarning(t *testing.T) {
	tests := []struct {
		server   string
		loopback bool
	}{
		{"127.0.0.1:50051", true},
		{"localhost:50051", true},
		{"[::1]:50051", true},
		{"relevo.example.com:443", false},
		{"10.0.0.5:50051", false},
	}
	for _, tt := range tests {
		if got := loopback(tt.server); got != tt.loopback {
			t.Errorf("loopback(%q) = %v, want %v", tt.server, got, tt.loopback)
		}
	}
}

func TestVersionNeedsNoServer(t *testing.T) {
	res := runWith(t, testEnv(nil), "", "--server", "127.0.0.1:1", "version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "relevoctl ") {
		t.Errorf("exit %d, stdout %q; want 0 and a version line", res.code, res.stdout)
	}
}
