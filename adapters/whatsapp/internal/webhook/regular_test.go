package webhook

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/relevo/relevo/adapters/whatsapp/graphtest"
)

// sameBatch fails t unless a and b ask the same of the server and notice
// the same things, in the same order.
func sameBatch(t *testing.T, a, b *Batch) {
	t.Helper()
	equal := func(x, y []proto.Message) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !proto.Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	msgs := func(b *Batch) (m, r, h []proto.Message) {
		for _, x := range b.Messages {
			m = append(m, x)
		}
		for _, x := range b.Receipts {
			r = append(r, x)
		}
		for _, x := range b.HumanMessages {
			h = append(h, x)
		}
		return m, r, h
	}
	am, ar, ah := msgs(a)
	bm, br, bh := msgs(b)
	if !equal(am, bm) || !equal(ar, br) || !equal(ah, bh) {
		t.Fatalf("batches differ:\n%v\n%v\n%v\nagainst\n%v\n%v\n%v", am, ar, ah, bm, br, bh)
	}
	if !reflect.DeepEqual(a.Notices, b.Notices) {
		t.Fatalf("notices differ:\n%v\nagainst\n%v", a.Notices, b.Notices)
	}
}

// regularBodies are payloads as Meta sends them: the seeds, the shared
// fixtures when present, and the benchmark's webhooks.
func regularBodies(t testing.TB) map[string][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.json"))
	if dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "..", "shared", "fixtures", "whatsapp")); err == nil {
		more, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		paths = append(paths, more...)
	}
	bodies := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(p)] = b
	}
	bodies["a text message"] = graphtest.TextWebhook(graphtest.DefaultBusiness, "5491100000001", "Ana", "wamid.x", "¿Qué horario tienen?", time.Unix(1760000000, 0))
	return bodies
}

func TestRegularReadingGivesTheTolerantBatch(t *testing.T) {
	read := 0
	for name, body := range regularBodies(t) {
		t.Run(name, func(t *testing.T) {
			fast := parseRegular(body)
			if fast == nil {
				return // read by parseTolerant alone; nothing to compare
			}
			read++
			sameBatch(t, fast, parseTolerant(body))
		})
	}
	if read == 0 {
		t.Fatal("no body was read by parseRegular")
	}
	if parseRegular(regularBodies(t)["a text message"]) == nil {
		t.Fatal("a plain text message was not read in one pass")
	}
}

func TestIrregularBodiesAreReadElementByElement(t *testing.T) {
	const msg = `{"from":"34600000001","id":"wamid.a","timestamp":"1760000000","type":"text","text":{"body":"hola"}}`
	const msg2 = `{"from":"34600000002","id":"wamid.b","timestamp":"1760000000","type":"text","text":{"body":"adiós"}}`
	const meta = `"metadata":{"phone_number_id":"1"}`
	wrap := func(value string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":` + value + `}]}]}`
	}
	tests := map[string]string{
		"a list given twice":                  wrap(`{` + meta + `,"messages":[` + msg + `],"messages":[` + msg2 + `]}`),
		"a value given twice in other case":   `{"entry":[{"id":"9","changes":[{"field":"messages","value":{` + meta + `,"messages":[` + msg + `]},"Value":{` + meta + `,"statuses":[]}}]}]}`,
		"a key written with an escape":        wrap(`{` + meta + `,"m\u0065ssages":[` + msg + `]}`),
		"a message of the wrong shape":        wrap(`{` + meta + `,"messages":[` + msg + `,7]}`),
		"a messages change without a value":   `{"entry":[{"id":"9","changes":[{"field":"messages"}]}]}`,
		"a messages change with a null value": wrap(`null`),
		"an entry id that is a number":        `{"entry":[{"id":9,"changes":[{"field":"messages","value":{` + meta + `,"messages":[` + msg + `]}}]}]}`,
		"an ignored field of another shape":   `{"entry":[{"id":"9","changes":[{"field":"account_update","value":"x"},{"field":"messages","value":{` + meta + `,"messages":[` + msg + `]}}]}]}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if b := parseRegular([]byte(body)); b != nil {
				t.Fatalf("parseRegular read it: %+v", b)
			}
			got, err := Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			sameBatch(t, got, parseTolerant([]byte(body)))
		})
	}
}

func TestUniqueKeys(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{}`, true},
		{`{"a":1,"b":[{"a":2,"b":3},{"a":4}],"c":{"a":{"a":5}}}`, true},
		{`{"a":"\"a\":1","b":"a"}`, true}, // keys inside strings are text
		{`{"s":"ñ","k":"\u00f1"}`, true},  // only keys must be plain
		{`{"a":1,"b":2,"a":3}`, false},
		{`{"x":[{"Entry":1,"entry":2}]}`, false},
		{`{"a" : 1, "A" : 2}`, false},
		{`{"a":{"b":1},"c":{"b":2}}`, true},
		{`{"\u0061":1}`, false},
		{`{"ñ":1}`, false},
	}
	for _, tt := range tests {
		if got := uniqueKeys([]byte(tt.body)); got != tt.want {
			t.Errorf("uniqueKeys(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// FuzzParseRegular checks that whatever body parseRegular reads, it reads
// as the element-by-element reading does.
//
//	go test -run '^$' -fuzz FuzzParseRegular ./adapters/whatsapp/internal/webhook/
func FuzzParseRegular(f *testing.F) {
	for _, b := range regularBodies(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":1},"messages":[{"from":1,"id":"x","type":"location","location":{"latitude":"1.5","longitude":null}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast := parseRegular(body)
		if fast == nil {
			return
		}
		sameBatch(t, fast, parseTolerant(body))
	})
}
