package ingest

import (
	"testing"

	"github.com/relevo/relevo/internal/pdftest"
)

func FuzzQACSV(f *testing.F) {
	f.Add([]byte("question,answer\nq,a\n"))
	f.Add([]byte("pregunta;respuesta\n\"a;b\";\"c\"\"d\"\n"))
	f.Add([]byte("\xef\xbb\xbfquestion,answer\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseQACSV(data)
		if err == nil && len(entries) == 0 {
			t.Fatal("no error and no entries")
		}
	})
}

func FuzzQAJSON(f *testing.F) {
	f.Add([]byte(`[{"question":"q","answer":"a"}]`))
	f.Add([]byte(`{"entries":[{"pregunta":"q","respuesta":"a"}]}`))
	f.Add([]byte(`[1, "x", null, {"question": 3}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseQAJSON(data)
		if err == nil && len(entries) == 0 {
			t.Fatal("no error and no entries")
		}
	})
}

func FuzzMarkdownChunks(f *testing.F) {
	f.Add("# T\n\npara\n\n- item\n\n```\ncode\n```\n| a | b |\n|---|---|\n")
	f.Add("---\nx: y\n---\nSetext\n===\n<!-- c\n-->\n[l](u) ![i](p) **b**")
	f.Fuzz(func(t *testing.T, src string) {
		for _, c := range ChunkBlocks(ParseMarkdown(src), ChunkOptions{MaxChars: 120, OverlapChars: 30}) {
			if len(c.Text) > 120 {
				t.Fatalf("chunk of %d chars", len(c.Text))
			}
		}
	})
}

func FuzzHTMLChunks(f *testing.F) {
	f.Add("<html><title>t</title><h1>a</h1><p>b<br>c</p><ul><li>d</li></ul><script>x</script></html>")
	f.Add("<p><b>unclosed <i>tags<td>cell</table>")
	f.Fuzz(func(t *testing.T, src string) {
		for _, c := range ChunkBlocks(ParseHTML(src), ChunkOptions{MaxChars: 120, OverlapChars: 30}) {
			if len(c.Text) > 120 {
				t.Fatalf("chunk of %d chars", len(c.Text))
			}
		}
	})
}

func FuzzPDF(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = ParsePDF(data) // must not panic
	})
}

// FuzzUpload reads any file as any supported type within small limits,
// as an upload is read: it must not panic, and a file read without error
// stays within the limits.
func FuzzUpload(f *testing.F) {
	lim := Limits{MaxPages: 20, MaxPageChars: 2000, MaxChars: 20000, MaxBlocks: 200, MaxStreamBytes: 64 << 10, MaxTotalStreamBytes: 256 << 10}
	f.Add("a.pdf", pdftest.Honest(2))
	f.Add("a.pdf", pdftest.SelfReferencingTree())
	f.Add("a.pdf", pdftest.LyingPageCount(1000))
	f.Add("a.pdf", pdftest.InflatingContent(5000))
	f.Add("a.html", []byte("<html><h1>T</h1><p>a<b>b</p><script>x</script><table><td>c</table>"))
	f.Add("a.csv", []byte("question,answer\nq,a\n"))
	f.Add("a.json", []byte(`[{"question":"q","answer":"a"}]`))
	f.Add("a.md", []byte("# T\n\npara\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(name) > 64 {
			return
		}
		p, err := ParseLimited(name, "", data, lim)
		if err != nil {
			return
		}
		if p.Pages > lim.MaxPages {
			t.Fatalf("%d pages read, limit %d", p.Pages, lim.MaxPages)
		}
		if n := p.chars(); n > lim.MaxChars {
			t.Fatalf("%d characters read, limit %d", n, lim.MaxChars)
		}
		if len(p.Blocks) > lim.MaxBlocks {
			t.Fatalf("%d blocks read, limit %d", len(p.Blocks), lim.MaxBlocks)
		}
	})
}
