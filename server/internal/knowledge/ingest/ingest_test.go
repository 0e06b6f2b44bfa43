package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relevo/relevo/internal/sharedtest"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetectChoosesTheFormat(t *testing.T) {
	tests := []struct {
		name, file, media string
		want              Format
	}{
		{"media type wins over extension", "x.txt", "application/pdf", FormatPDF},
		{"markdown by extension", "faq.MD", "", FormatMarkdown},
		{"html with charset parameter", "page", "text/html; charset=utf-8", FormatHTML},
		{"json is a Q&A list", "qa.json", "", FormatQAJSON},
		{"csv is a Q&A list", "qa.csv", "application/octet-stream", FormatQACSV},
		{"plain text", "notes.txt", "", FormatText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.file, tt.media)
			if err != nil || got != tt.want {
				t.Fatalf("Detect(%q, %q) = %v, %v; want %v", tt.file, tt.media, got, err, tt.want)
			}
		})
	}
	if _, err := Detect("slides.pptx", "application/vnd.ms-powerpoint"); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("unsupported type: err = %v, want ErrUnreadable", err)
	}
}

func TestMarkdownKeepsHeadingsListsAndLinkTargets(t *testing.T) {
	blocks := ParseMarkdown(string(read(t, "faq.md")))
	var kinds []BlockKind
	var texts []string
	for _, b := range blocks {
		kinds = append(kinds, b.Kind)
		texts = append(texts, b.Text)
	}
	all := strings.Join(texts, "\n")
	if strings.Contains(all, "title:") {
		t.Errorf("front matter leaked: %q", all)
	}
	if strings.ContainsAny(all, "*`") {
		t.Errorf("inline markup left: %q", all)
	}
	if !strings.Contains(all, "la factura (https://example.com/factura)") {
		t.Errorf("link target lost: %q", all)
	}
	if blocks[0].Kind != Heading || blocks[0].Text != "Pagos" {
		t.Errorf("first block = %+v, want heading Pagos", blocks[0])
	}
	lists := 0
	for _, k := range kinds {
		if k == ListItem {
			lists++
		}
	}
	if lists != 2 {
		t.Errorf("list items = %d, want 2 (%q)", lists, texts)
	}
	if !strings.Contains(all, "Anual · 100") || strings.Contains(all, "---") {
		t.Errorf("table not flattened: %q", all)
	}
}

func TestHTMLSkipsScriptsAndNavigation(t *testing.T) {
	blocks := ParseHTML(string(read(t, "page.html")))
	var texts []string
	for _, b := range blocks {
		texts = append(texts, b.Text)
	}
	all := strings.Join(texts, "|")
	for _, bad := range []string{"var x", "color:red", "Inicio"} {
		if strings.Contains(all, bad) {
			t.Errorf("%q leaked into %q", bad, all)
		}
	}
	want := "Centro de ayuda|Acceso|Si olvidaste tu contraseña, usa el enlace Recuperar.|Revisa tu correo|Revisa la carpeta de spam"
	if all != want {
		t.Errorf("blocks = %q\nwant     %q", all, want)
	}
}

func TestAnHTMLTableRowIsOneBlockAsInMarkdown(t *testing.T) {
	t.Parallel()
	blocks := ParseHTML(`<table><thead><tr><th>Oficina</th><th>Horario</th></tr></thead>
<tr><td>San <b>Miguel</b></td><td>Lunes a viernes 09:00 a 18:00<br>sábados 10:00 a 14:00</td></tr>
<tr><td>La Serena</td><td></td></tr></table><p>Atención por orden de llegada.</p>`)
	var texts []string
	for _, b := range blocks {
		texts = append(texts, b.Text)
	}
	want := []string{"Oficina · Horario", "San Miguel · Lunes a viernes 09:00 a 18:00 sábados 10:00 a 14:00", "La Serena · ", "Atención por orden de llegada."}
	if !slices.Equal(texts, want) {
		t.Errorf("blocks = %q\nwant     %q", texts, want)
	}
}

func TestQAFilesBecomeEntries(t *testing.T) {
	tests := []struct {
		name, file string
		want       []QA
	}{
		{"spanish csv headers with semicolons", "qa.csv", []QA{{"¿Tienen descuentos para estudiantes?", "Sí, 20% con credencial vigente."}}},
		{"json array", "qa.json", []QA{{"¿Puedo pagar en cuotas?", "Sí, hasta 6 cuotas sin interés."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.file, "", read(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Entries) != len(tt.want) || p.Entries[0] != tt.want[0] {
				t.Fatalf("entries = %+v, want %+v", p.Entries, tt.want)
			}
		})
	}
}

func TestUnreadableFilesAreReported(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
	}{
		{"empty file", "a.txt", nil},
		{"only white space", "a.md", []byte("   \n\n  ")},
		{"corrupt pdf", "a.pdf", []byte("%PDF-1.4 garbage")},
		{"csv without the columns", "a.csv", []byte("foo,bar\n1,2\n")},
		{"json that is not a list", "a.json", []byte(`{"x": 1}`)},
		{"unsupported type", "a.docx", []byte("PK...")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.file, "", tt.data)
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("err = %v, want ErrUnreadable", err)
			}
		})
	}
}

func TestSeedPDFKeepsPagesAndParagraphs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedtest.Dir(t, "seed-kb"), "example.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("example.pdf", "application/pdf", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pages != 2 {
		t.Errorf("pages = %d, want 2", p.Pages)
	}
	if p.Blocks[0].Kind != Heading {
		t.Errorf("the title should be a heading: %+v", p.Blocks[0])
	}
	found := false
	for _, b := range p.Blocks {
		if strings.HasPrefix(b.Text, "Solución: Recomendamos utilizar nuestra aplicación móvil oficial, disponible para iOS y Android") {
			found = b.Page == 2
		}
	}
	if !found {
		t.Errorf("the wrapped paragraph about the mobile app is not one block on page 2")
	}
}

func TestChunksFollowSectionsAndOverlap(t *testing.T) {
	long := strings.Repeat("Una oración de relleno para ocupar espacio. ", 12)
	blocks := []Block{
		{Kind: Heading, Text: "Pagos", Page: 1},
		{Kind: Paragraph, Text: long, Page: 1},
		{Kind: Paragraph, Text: "Segundo párrafo. " + long, Page: 1},
		{Kind: Heading, Text: "Soporte", Page: 2},
		{Kind: ListItem, Text: "Escribe a soporte@example.com", Page: 2},
	}
	chunks := ChunkBlocks(blocks, ChunkOptions{MaxChars: 800, OverlapChars: 200})
	if len(chunks) != 3 {
		t.Fatalf("chunks = %d, want 3: %+v", len(chunks), chunks)
	}
	if chunks[0].Heading != "Pagos" || chunks[1].Heading != "Pagos" || chunks[2].Heading != "Soporte" {
		t.Errorf("headings = %q %q %q", chunks[0].Heading, chunks[1].Heading, chunks[2].Heading)
	}
	if chunks[2].Page != 2 || chunks[2].Text != "• Escribe a soporte@example.com" {
		t.Errorf("last chunk = %+v", chunks[2])
	}
	tail := lastSentences(chunks[0].Text, 200)
	if tail == "" || !strings.HasPrefix(chunks[1].Text, tail) {
		t.Errorf("second chunk does not start with the end of the first:\n%q\n%q", tail, chunks[1].Text)
	}
	for _, c := range chunks {
		if len(c.Text) > 800 {
			t.Errorf("chunk of %d chars exceeds MaxChars", len(c.Text))
		}
	}
}

func TestShortLeadInMovesToTheNextChunk(t *testing.T) {
	answer := strings.Repeat("Respuesta larga. ", 30)
	blocks := []Block{
		{Kind: Paragraph, Text: "Problema: uno."},
		{Kind: Paragraph, Text: answer},
		{Kind: Paragraph, Text: "Problema: dos."},
		{Kind: Paragraph, Text: answer},
	}
	chunks := ChunkBlocks(blocks, ChunkOptions{MaxChars: 800, OverlapChars: 200})
	if len(chunks) != 2 || !strings.HasPrefix(chunks[1].Text, "Problema: dos.") || strings.Contains(chunks[0].Text, "dos") {
		t.Fatalf("lead-in not kept with its answer: %+v", chunks)
	}
}

func TestSentencesKeepAbbreviationsAndURLs(t *testing.T) {
	got := Sentences("Visite www.example.com/ayuda. Luego p. ej. escriba. ¿Listo? Sí.")
	want := []string{"Visite www.example.com/ayuda.", "Luego p. ej. escriba.", "¿Listo?", "Sí."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Sentences = %q, want %q", got, want)
	}
}
