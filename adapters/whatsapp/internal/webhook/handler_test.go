package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
	"github.com/relevo/relevo/adapters/whatsapp/internal/graph"
	"github.com/relevo/relevo/adapters/whatsapp/internal/webhook"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func newHandler(cfg webhook.Config, rec *recorder, media webhook.MediaFetcher) *webhook.Handler {
	if cfg.VerifyToken == "" {
		cfg.VerifyToken = "verify-me"
	}
	if cfg.AppSecret == "" && !cfg.SkipSignature {
		cfg.AppSecret = testSecret
	}
	return webhook.NewHandler(cfg, rec, media, discardLogger())
}

func post(h http.Handler, body []byte, signature string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(webhook.SignatureHeader, signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func textBody(wamid string) []byte {
	return graphtest.TextWebhook(graphtest.DefaultBusiness, "34600000001", "Ana", wamid, "hola", time.Unix(1760000000, 0))
}

// signatureVectors mirrors webhook_signature_test_vectors.json.
type signatureVectors struct {
	AppSecret string `json:"app_secret"`
	Cases     []struct {
		RawBody   string `json:"raw_body"`
		Signature string `json:"x_hub_signature_256"`
		Valid     bool   `json:"valid"`
		Comment   string `json:"comment"`
	} `json:"cases"`
	Verification struct {
		Request      string `json:"request"`
		Token        string `json:"configured_verify_token"`
		ExpectStatus int    `json:"expected_status"`
		ExpectBody   string `json:"expected_body"`
	} `json:"verification_get"`
}

func loadVectors(t *testing.T) signatureVectors {
	t.Helper()
	p := filepath.Join(sharedDir(t, "fixtures", "whatsapp", "api_examples"), "webhook_signature_test_vectors.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v signatureVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignatureTestVectors(t *testing.T) {
	v := loadVectors(t)
	for i, c := range v.Cases {
		name := fmt.Sprintf("case %d valid=%v", i, c.Valid)
		if c.Comment != "" {
			name += ": " + c.Comment
		}
		t.Run(name, func(t *testing.T) {
			if got := webhook.ValidSignature(v.AppSecret, []byte(c.RawBody), c.Signature); got != c.Valid {
				t.Errorf("ValidSignature = %v, want %v", got, c.Valid)
			}
			rec := &recorder{}
			w := post(newHandler(webhook.Config{AppSecret: v.AppSecret}, rec, nil), []byte(c.RawBody), c.Signature)
			want := http.StatusUnauthorized
			if c.Valid {
				want = http.StatusOK
			}
			if w.Code != want {
				t.Errorf("POST answered %d, want %d", w.Code, want)
			}
			if !c.Valid && len(rec.Calls()) != 0 {
				t.Errorf("a wrongly signed body reached the server: %v", rec.Calls())
			}
		})
	}
}

func TestVerificationTestVector(t *testing.T) {
	v := loadVectors(t).Verification
	_, target, _ := strings.Cut(v.Request, " ")
	target = strings.TrimSuffix(target, " HTTP/1.1")
	h := newHandler(webhook.Config{VerifyToken: v.Token}, &recorder{}, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	if w.Code != v.ExpectStatus || w.Body.String() != v.ExpectBody {
		t.Errorf("GET %s = %d %q, want %d %q", target, w.Code, w.Body.String(), v.ExpectStatus, v.ExpectBody)
	}
}

func TestSignatureIsRequiredAndChecked(t *testing.T) {
	body := textBody("wamid.sig")
	good := graphtest.Sign(testSecret, body)
	tests := []struct {
		name      string
		body      []byte
		signature string
		skip      bool
		want      int
	}{
		{name: "a correct signature is accepted", body: body, signature: good, want: http.StatusOK},
		{name: "an upper-case hex signature is accepted", body: body, signature: "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), want: http.StatusOK},
		{name: "a missing signature is refused", body: body, want: http.StatusUnauthorized},
		{name: "a signature with another secret is refused", body: body, signature: graphtest.Sign("other-secret", body), want: http.StatusUnauthorized},
		{name: "a signature of a re-serialised body is refused", body: append(append([]byte{}, body...), ' '), signature: good, want: http.StatusUnauthorized},
		{name: "a SHA-1 style signature is refused", body: body, signature: "sha1=" + strings.TrimPrefix(good, "sha256="), want: http.StatusUnauthorized},
		{name: "a truncated signature is refused", body: body, signature: good[:len(good)-2], want: http.StatusUnauthorized},
		{name: "a non-hex signature is refused", body: body, signature: "sha256=zz", want: http.StatusUnauthorized},
		{name: "an unsigned body is accepted when checks are skipped for development", body: body, skip: true, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			w := post(newHandler(webhook.Config{SkipSignature: tt.skip}, rec, nil), tt.body, tt.signature)
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
			if got, want := len(rec.Calls()) > 0, tt.want == http.StatusOK; got != want {
				t.Errorf("server called = %v, want %v", got, want)
			}
		})
	}
}

func TestVerificationHandshake(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		query      string
		wantCode   int
		wantBody   string
	}{
		{name: "the right token gets the raw challenge back", configured: "s3cret", query: "hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=8472",
			wantCode: http.StatusOK, wantBody: "8472"},
		{name: "a wrong token is forbidden", configured: "s3cret", query: "hub.mode=subscribe&hub.verify_token=guess&hub.challenge=8472", wantCode: http.StatusForbidden},
		{name: "a missing token is forbidden", configured: "s3cret", query: "hub.mode=subscribe&hub.challenge=8472", wantCode: http.StatusForbidden},
		{name: "another mode is forbidden", configured: "s3cret", query: "hub.mode=unsubscribe&hub.verify_token=s3cret&hub.challenge=8472", wantCode: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(webhook.Config{VerifyToken: tt.configured}, &recorder{}, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/webhook?"+tt.query, nil))
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if tt.wantCode == http.StatusOK && w.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", w.Body.String(), tt.wantBody)
			}
		})
	}
}

func TestPostsThatCannotBeAcceptedAreRefused(t *testing.T) {
	big := textBody("wamid.big")
	tests := []struct {
		name    string
		method  string
		body    []byte
		maxBody int64
		want    int
	}{
		{name: "a body over the limit is too large", method: http.MethodPost, body: big, maxBody: int64(len(big) - 1), want: http.StatusRequestEntityTooLarge},
		{name: "a body at the limit is accepted", method: http.MethodPost, body: big, maxBody: int64(len(big)), want: http.StatusOK},
		{name: "malformed JSON is a bad request", method: http.MethodPost, body: []byte(`{"object":"whatsapp_business_account","entry":[`), want: http.StatusBadRequest},
		{name: "a JSON array is a bad request", method: http.MethodPost, body: []byte(`[]`), want: http.StatusBadRequest},
		{name: "other methods are not allowed", method: http.MethodPut, body: big, want: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newHandler(webhook.Config{MaxBody: tt.maxBody}, rec, nil)
			req := httptest.NewRequest(tt.method, "/webhook", bytes.NewReader(tt.body))
			req.Header.Set(webhook.SignatureHeader, graphtest.Sign(testSecret, tt.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}

func TestServerFailuresDecideTheAnswerToMeta(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCode  int
		wantCalls int
	}{
		{name: "an unreachable server gets Meta to retry", err: status.Error(codes.Unavailable, "connection refused"), wantCode: http.StatusServiceUnavailable, wantCalls: 1},
		{name: "a server error gets Meta to retry", err: status.Error(codes.Internal, "disk full"), wantCode: http.StatusServiceUnavailable, wantCalls: 1},
		{name: "a refused API key gets Meta to retry once it is fixed", err: status.Error(codes.Unauthenticated, "bad key"), wantCode: http.StatusServiceUnavailable, wantCalls: 1},
		{name: "an invalid item is skipped because a retry cannot fix it", err: status.Error(codes.InvalidArgument, "bad"), wantCode: http.StatusOK, wantCalls: 2},
		{name: "success answers 200 after every item was accepted", wantCode: http.StatusOK, wantCalls: 2},
	}
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},
		"messages":[{"from":"3","id":"wamid.a","type":"text","text":{"body":"a"}},{"from":"3","id":"wamid.b","type":"text","text":{"body":"b"}}]}}]}]}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.err}
			w := post(newHandler(webhook.Config{}, rec, nil), body, graphtest.Sign(testSecret, body))
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if got := len(rec.Calls()); got != tt.wantCalls {
				t.Errorf("server called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestVoiceNotes(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},
		"messages":[{"from":"3","id":"wamid.voice","type":"audio","audio":{"id":"555","mime_type":"audio/ogg; codecs=opus","voice":true}}]}}]}]}`)
	audio := bytes.Repeat([]byte{0x4f}, 2048)
	tests := []struct {
		name     string
		media    map[string][]byte
		limit    int64
		wantData []byte
	}{
		{name: "a voice note is downloaded through the media endpoint", media: map[string][]byte{"555": audio}, wantData: audio},
		{name: "a failed download still passes the message on", media: nil},
		{name: "a voice note over the limit is passed on without its bytes", media: map[string][]byte{"555": audio}, limit: 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := graphtest.New(t)
			for id, data := range tt.media {
				fake.AddMedia(id, "audio/ogg", data)
			}
			rec := &recorder{}
			h := newHandler(webhook.Config{MediaLimit: tt.limit}, rec, graph.New(fake.URL, fake.Version, fake.Token, nil))
			if w := post(h, body, graphtest.Sign(testSecret, body)); w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", w.Code)
			}
			calls := rec.Calls()
			if len(calls) != 1 {
				t.Fatalf("got %d calls, want 1", len(calls))
			}
			m := calls[0].req.(*relevov1.HandleMessageRequest).GetMessage()
			if m.GetKind() != relevov1.InboundKind_INBOUND_KIND_AUDIO || m.GetMedia().GetType() != "voice" {
				t.Errorf("kind %v media type %q, want AUDIO voice", m.GetKind(), m.GetMedia().GetType())
			}
			if !bytes.Equal(m.GetMedia().GetData(), tt.wantData) {
				t.Errorf("media data has %d bytes, want %d", len(m.GetMedia().GetData()), len(tt.wantData))
			}
			for _, r := range fake.Requests() {
				if r.Header.Get("Authorization") != "Bearer "+fake.Token {
					t.Errorf("%s %s sent without the access token", r.Method, r.Path)
				}
			}
		})
	}
}
