package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func uploads(f *fakeRelevo) map[string]*relevov1.UploadDocumentRequest {
	out := map[string]*relevov1.UploadDocumentRequest{}
	for _, r := range f.requests("UploadDocument") {
		req := r.(*relevov1.UploadDocumentRequest)
		out[req.GetFilename()] = req
	}
	return out
}

func TestUploadWalksDirectoriesAndGoesOnPastRejectedFiles(t *testing.T) {
	f := startFake(t)
	f.rejects["escaneado.pdf"] = "the PDF has no text layer"
	dir := filepath.Join("testdata", "kb")

	res := f.run(t, "", "kb", "upload", dir)

	if res.code != 1 {
		t.Errorf("exit %d, want 1 since one file was refused", res.code)
	}
	want := map[string]struct{ path, mediaType string }{
		"faq.md":        {"faq.md", "text/markdown"},
		"envios.txt":    {"guide/envios.txt", "text/plain"},
		"pagos.csv":     {"guide/pagos.csv", "text/csv"},
		"escaneado.pdf": {"guide/escaneado.pdf", "application/pdf"},
	}
	got := uploads(f)
	if len(got) != len(want) {
		t.Errorf("uploaded %d files, want %d (png and hidden files skipped)", len(got), len(want))
	}
	for name, w := range want {
		req, ok := got[name]
		if !ok {
			t.Errorf("%s was not uploaded", name)
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, w.path))
		if err != nil {
			t.Fatal(err)
		}
		if req.GetMediaType() != w.mediaType || !bytes.Equal(req.GetContent(), content) {
			t.Errorf("%s sent as %q with %d bytes, want %q with the file's %d bytes",
				name, req.GetMediaType(), len(req.GetContent()), w.mediaType, len(content))
		}
	}
	for _, line := range []string{"new        " + filepath.Join(dir, "faq.md") + ": 5 chunk(s)", "envios.txt: 2 chunk(s)"} {
		if !strings.Contains(res.stdout, line) {
			t.Errorf("stdout %q, want a line with %q", res.stdout, line)
		}
	}
	for _, s := range []string{"skipping 1 file(s) of unsupported types", "escaneado.pdf: InvalidArgument: the PDF has no text layer", "1 of 4 file(s) failed"} {
		if !strings.Contains(res.stderr, s) {
			t.Errorf("stderr %q, want %q", res.stderr, s)
		}
	}
}

func TestUploadReportsNewReplacedAndUnchanged(t *testing.T) {
	f := startFake(t)
	path := filepath.Join(t.TempDir(), "horario.md")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		content string
		want    string
	}{
		{"de 9 a 18 h\n", "new"},
		{"de 9 a 18 h\n", "unchanged"},
		{"de 9 a 20 h\n", "replaced"},
	}
	for _, s := range steps {
		write(s.content)
		res := f.run(t, "", "kb", "upload", path)
		if res.code != 0 || !strings.HasPrefix(res.stdout, s.want+" ") {
			t.Errorf("upload of %q: exit %d, stdout %q; want 0 and %q", s.content, res.code, res.stdout, s.want)
		}
	}
}

func TestUploadRefusesFilesItCannotSend(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/faq.md", "b/faq.md", "notes.docx"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := startFake(t)
	res := f.run(t, "", "kb", "upload", filepath.Join(dir, "a"), filepath.Join(dir, "b"),
		filepath.Join(dir, "notes.docx"), filepath.Join(dir, "missing.md"))

	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if got := f.requests("UploadDocument"); len(got) != 1 {
		t.Errorf("sent %d uploads, want only the first faq.md", len(got))
	}
	for _, s := range []string{"same file name as", "notes.docx: unsupported file type", "missing.md:", "3 of 4 file(s) failed"} {
		if !strings.Contains(res.stderr, s) {
			t.Errorf("stderr %q, want %q", res.stderr, s)
		}
	}
}

func TestListsPrintOneJSONObjectPerLineAcrossPages(t *testing.T) {
	f := startFake(t)
	f.pageSize = 2
	for _, name := range []string{"a.md", "b.md", "c.md", "d.md", "e.md"} {
		f.docs = append(f.docs, &relevov1.Document{Id: "D-" + name, Filename: name})
	}
	f.entries = []*relevov1.Entry{
		{Id: "E-3", Question: "q3", Learned: true},
		{Id: "E-2", Question: "q2"},
		{Id: "E-1", Question: "q1", Learned: true},
	}
	tests := []struct {
		name    string
		args    []string
		wantIDs []string
		msg     func() proto.Message
	}{
		{"documents", []string{"kb", "list"}, []string{"D-a.md", "D-b.md", "D-c.md", "D-d.md", "D-e.md"}, func() proto.Message { return &relevov1.Document{} }},
		{"learned entries", []string{"kb", "entries", "list", "--learned"}, []string{"E-3", "E-1"}, func() proto.Message { return &relevov1.Entry{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.run(t, "", append([]string{"-o", "json"}, tt.args...)...)
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
			var ids []string
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Fatalf("line %q is not JSON", l)
				}
				m := tt.msg()
				if err := protojson.Unmarshal([]byte(l), m); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				ids = append(ids, m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("id")).String())
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("ids %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func TestSearchShowsScoresAndTheThreshold(t *testing.T) {
	f := startFake(t)
	f.search = &relevov1.SearchResponse{
		AnswerThreshold: 0.5,
		Results: []*relevov1.SearchResult{
			{Score: 0.81, LexicalScore: 0.7, VectorScore: 0.9, Kind: relevov1.SourceKind_SOURCE_KIND_DOCUMENT, Source: "manual.pdf", Page: 3, Text: "Atendemos de lunes a viernes."},
			{Score: 0.42, Kind: relevov1.SourceKind_SOURCE_KIND_ENTRY, Source: "learned", Question: "¿Abren sábados?", Text: "No."},
		},
	}
	res := f.run(t, "", "kb", "search", "horario", "de", "atención", "--limit", "7")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	req := f.requests("Search")[0].(*relevov1.SearchRequest)
	if req.GetQuery() != "horario de atención" || req.GetLimit() != 7 {
		t.Errorf("request %v, want the joined query and limit 7", req)
	}
	for _, s := range []string{
		"answer threshold 0.500",
		"* 1. 0.810  (lexical 0.700, vector 0.900)  document  manual.pdf p.3",
		"Atendemos de lunes a viernes.",
		"  2. 0.420",
		"Q: ¿Abren sábados?",
	} {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("stdout %q, want %q", res.stdout, s)
		}
	}

	res = f.run(t, "", "-o", "json", "kb", "search", "horario")
	var got relevov1.SearchResponse
	if err := protojson.Unmarshal([]byte(res.stdout), &got); err != nil || !proto.Equal(&got, f.search) {
		t.Errorf("json %q (%v), want the response", res.stdout, err)
	}
}

func TestEntryCommandsSendTheirFlags(t *testing.T) {
	f := startFake(t)
	f.entries = []*relevov1.Entry{{Id: "E-9", Question: "old q", Answer: "old a"}}
	f.docs = []*relevov1.Document{{Id: "D-x", Filename: "x.md"}}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		method string
		want   proto.Message
	}{
		{
			name: "add sends question, answer and source", args: []string{"kb", "entries", "add", "--question", "¿Horario?", "--answer", "9 a 18", "--source", "manual"},
			method: "CreateEntry", want: &relevov1.CreateEntryRequest{Question: "¿Horario?", Answer: "9 a 18", Source: "manual"},
		},
		{
			name: "edit reads the answer from stdin", stdin: "Nuevo horario:\n9 a 20\n", args: []string{"kb", "entries", "edit", "E-9", "--answer", "-"},
			method: "UpdateEntry", want: &relevov1.UpdateEntryRequest{EntryId: "E-9", Answer: "Nuevo horario:\n9 a 20"},
		},
		{
			name: "edit can change only the question", args: []string{"kb", "entries", "edit", "E-9", "--question", "new q"},
			method: "UpdateEntry", want: &relevov1.UpdateEntryRequest{EntryId: "E-9", Question: "new q"},
		},
		{
			name: "delete sends the id", args: []string{"kb", "entries", "delete", "E-9"},
			method: "DeleteEntry", want: &relevov1.DeleteEntryRequest{EntryId: "E-9"},
		},
		{
			name: "document delete sends the id", args: []string{"kb", "delete", "D-x"},
			method: "DeleteDocument", want: &relevov1.DeleteDocumentRequest{DocumentId: "D-x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.requests(tt.method))
			res := f.run(t, tt.stdin, tt.args...)
			reqs := f.requests(tt.method)
			if len(reqs) != before+1 {
				t.Fatalf("%s called %d times, want once; exit %d, stderr %q", tt.method, len(reqs)-before, res.code, res.stderr)
			}
			if got := reqs[len(reqs)-1]; !proto.Equal(got, tt.want) {
				t.Errorf("request %v, want %v", got, tt.want)
			}
			if res.code != 0 {
				t.Errorf("exit %d, stderr %q", res.code, res.stderr)
			}
		})
	}
}

func TestListMarksTheSampleKnowledgeBaseAsDemo(t *testing.T) {
	f := startFake(t)
	f.docs = []*relevov1.Document{
		{Id: "D-1", Filename: "sample/01-cuenta-y-acceso.md", MediaType: "text/markdown"},
		{Id: "D-2", Filename: "envios.md", MediaType: "text/markdown"},
	}
	f.entries = []*relevov1.Entry{{Id: "E-1", Question: "¿Tienen app?", Source: "sample/11-preguntas-rapidas.csv"}}

	res := f.run(t, "", "kb", "list")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	lines := strings.Split(res.stdout, "\n")
	var demo, own string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "D-1"):
			demo = l
		case strings.Contains(l, "D-2"):
			own = l
		}
	}
	if !strings.Contains(demo, "sample/01-cuenta-y-acceso.md (demo)") || strings.Contains(own, "(demo)") {
		t.Errorf("kb list:\n%s\nwant only the sample document marked (demo)", res.stdout)
	}

	res = f.run(t, "", "kb", "entries", "list")
	if res.code != 0 || !strings.Contains(res.stdout, "sample/11-preguntas-rapidas.csv (demo)") {
		t.Errorf("kb entries list (exit %d):\n%s\nwant the sample entry marked (demo)", res.code, res.stdout)
	}

	// JSON carries the document as the server has it.
	res = f.run(t, "", "-o", "json", "kb", "list")
	if res.code != 0 || strings.Contains(res.stdout, "(demo)") {
		t.Errorf("JSON output altered the file name: %s", res.stdout)
	}
}
