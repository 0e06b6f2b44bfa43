package storetest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/relevo/relevo/server/internal/store"
)

func chunks(texts ...string) []store.Chunk {
	out := make([]store.Chunk, len(texts))
	for i, t := range texts {
		out[i] = store.Chunk{Ordinal: i, Page: i + 1, Heading: "H", Text: t, Embedding: []float32{float32(i), 0.25, -3.5}, EmbeddingModel: "local-v1"}
	}
	return out
}

func fileEntries(source string, qa ...string) []store.Entry {
	var out []store.Entry
	for i := 0; i+1 < len(qa); i += 2 {
		out = append(out, store.Entry{Question: qa[i], Answer: qa[i+1], Source: source, Embedding: []float32{1, 0}, EmbeddingModel: "local-v1"})
	}
	return out
}

func sourceQuestions(t *testing.T, st store.Store, source string) []string {
	t.Helper()
	list, _, err := st.ListEntries(testContext(t), store.EntryFilter{Limit: 500})
	noErr(t, "ListEntries", err)
	var out []string
	for _, e := range list {
		if e.Source == source {
			out = append(out, e.Question)
		}
	}
	sort.Strings(out)
	return out
}

var knowledgeTests = []test{
	{"a Q&A file is stored with its entries in one transaction", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		doc := store.Document{Filename: "faq.csv", MediaType: "text/csv", SHA256: "v1"}
		before, err := st.LastKnowledgeSequence(ctx)
		noErr(t, "LastKnowledgeSequence", err)
		// The third entry cannot be stored: nothing is.
		_, err = st.PutDocument(ctx, doc, nil, fileEntries("faq.csv", "q1", "a1", "q2", "a2", "q3", " ", "q4", "a4"))
		if err == nil {
			t.Fatal("PutDocument with an entry without answer succeeded")
		}
		if got := sourceQuestions(t, st, "faq.csv"); len(got) != 0 {
			t.Fatalf("entries after the failed put = %q, want none", got)
		}
		if list, _, _ := st.ListDocuments(ctx, 10, ""); len(list) != 0 {
			t.Fatalf("documents after the failed put = %+v, want none", list)
		}
		if after, _ := st.LastKnowledgeSequence(ctx); after != before {
			t.Fatalf("knowledge changes logged by the failed put: %d -> %d", before, after)
		}
		// The same file again is stored whole.
		first, err := st.PutDocument(ctx, doc, nil, fileEntries("faq.csv", "q1", "a1", "q2", "a2", "q3", "a3", "q4", "a4"))
		noErr(t, "PutDocument", err)
		if first.Unchanged || first.Replaced {
			t.Fatalf("first complete put = %+v", first)
		}
		if got := sourceQuestions(t, st, "faq.csv"); !equalStrings(got, []string{"q1", "q2", "q3", "q4"}) {
			t.Fatalf("entries = %q", got)
		}
		same, err := st.PutDocument(ctx, doc, nil, fileEntries("faq.csv", "q1", "a1", "q2", "a2", "q3", "a3", "q4", "a4"))
		noErr(t, "PutDocument(same)", err)
		if !same.Unchanged {
			t.Fatalf("same file = %+v, want unchanged", same)
		}
		// A learned entry citing the file stays when the file is replaced.
		learned, err := st.CreateEntry(ctx, store.Entry{Question: "learned", Answer: "kept", Source: "faq.csv", Learned: true})
		noErr(t, "CreateEntry", err)
		doc.SHA256 = "v2"
		seq, _ := st.LastKnowledgeSequence(ctx)
		replaced, err := st.PutDocument(ctx, doc, nil, fileEntries("faq.csv", "q1", "a1", "q5", "a5"))
		noErr(t, "PutDocument(new content)", err)
		if !replaced.Replaced {
			t.Fatalf("replaced = %+v", replaced)
		}
		if got := sourceQuestions(t, st, "faq.csv"); !equalStrings(got, []string{"learned", "q1", "q5"}) {
			t.Fatalf("entries after replace = %q", got)
		}
		if _, err := st.GetEntry(ctx, learned.ID); err != nil {
			t.Fatalf("learned entry: %v", err)
		}
		changes, err := st.KnowledgeChanges(ctx, seq, 100)
		noErr(t, "KnowledgeChanges", err)
		deleted, added := 0, 0
		for _, c := range changes {
			if c.Kind == "entry" && c.Deleted {
				deleted++
			} else if c.Kind == "entry" {
				added++
			}
		}
		if deleted != 4 || added != 2 {
			t.Fatalf("entry changes: %d deleted, %d added; want 4 and 2: %+v", deleted, added, changes)
		}
		// Deleting the file deletes its entries, learned ones excepted.
		noErr(t, "DeleteDocument", st.DeleteDocument(ctx, replaced.Document.ID))
		if got := sourceQuestions(t, st, "faq.csv"); !equalStrings(got, []string{"learned"}) {
			t.Fatalf("entries after deleting the file = %q, want the learned one", got)
		}
	}},
	{"a document's index data is kept until replaced, logs no change and goes with the document", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		put, err := st.PutDocument(ctx, store.Document{Filename: "manual.pdf", SHA256: "x"}, chunks("a", "b"), nil)
		noErr(t, "PutDocument", err)
		_, err = st.DocumentIndex(ctx, put.Document.ID)
		wantErr(t, "DocumentIndex before any", err, store.ErrNotFound)
		seq, err := st.LastKnowledgeSequence(ctx)
		noErr(t, "LastKnowledgeSequence", err)
		noErr(t, "PutDocumentIndex", st.PutDocumentIndex(ctx, put.Document.ID, store.IndexData{Version: "v1", Data: []byte{0, 1, 2, 255}}))
		noErr(t, "PutDocumentIndex again", st.PutDocumentIndex(ctx, put.Document.ID, store.IndexData{Version: "v2", Data: []byte{9, 0}}))
		got, err := st.DocumentIndex(ctx, put.Document.ID)
		noErr(t, "DocumentIndex", err)
		if got.Version != "v2" || string(got.Data) != "\x09\x00" {
			t.Errorf("index data = %+v", got)
		}
		if after, _ := st.LastKnowledgeSequence(ctx); after != seq {
			t.Errorf("putting index data logged a knowledge change (%d → %d)", seq, after)
		}
		wantErr(t, "PutDocumentIndex of an unknown document",
			st.PutDocumentIndex(ctx, "no-such-document", store.IndexData{Version: "v1", Data: []byte{1}}), store.ErrNotFound)
		noErr(t, "DeleteDocument", st.DeleteDocument(ctx, put.Document.ID))
		_, err = st.DocumentIndex(ctx, put.Document.ID)
		wantErr(t, "DocumentIndex after delete", err, store.ErrNotFound)
	}},
	{"documents are replaced by file name unless unchanged", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		doc := store.Document{Filename: "faq.md", MediaType: "text/markdown", SHA256: "aaa", SizeBytes: 10, Pages: 1}
		first, err := st.PutDocument(ctx, doc, chunks("uno", "dos"), nil)
		noErr(t, "PutDocument", err)
		if first.Replaced || first.Unchanged || first.Document.ID == "" || first.Document.ChunkCount != 2 || first.Document.CreatedAt.IsZero() {
			t.Fatalf("first put = %+v", first)
		}
		got, err := st.DocumentChunks(ctx, first.Document.ID)
		noErr(t, "DocumentChunks", err)
		if len(got) != 2 || got[1].Text != "dos" || got[1].Page != 2 || got[1].Heading != "H" || got[1].DocumentID != first.Document.ID ||
			len(got[1].Embedding) != 3 || got[1].Embedding[0] != 1 || got[1].Embedding[2] != -3.5 || got[1].EmbeddingModel != "local-v1" || got[1].ID == "" {
			t.Fatalf("chunks = %+v", got)
		}
		same, err := st.PutDocument(ctx, doc, chunks("uno", "dos"), nil)
		noErr(t, "PutDocument(same)", err)
		if !same.Unchanged || same.Document.ID != first.Document.ID {
			t.Errorf("same content = %+v", same)
		}
		doc.SHA256 = "bbb"
		replaced, err := st.PutDocument(ctx, doc, chunks("tres"), nil)
		noErr(t, "PutDocument(new content)", err)
		if !replaced.Replaced || replaced.Unchanged || replaced.Document.ID != first.Document.ID || replaced.Document.ChunkCount != 1 {
			t.Errorf("replaced = %+v", replaced)
		}
		got, _ = st.DocumentChunks(ctx, first.Document.ID)
		if len(got) != 1 || got[0].Text != "tres" {
			t.Errorf("chunks after replace = %+v", got)
		}
		d, err := st.GetDocument(ctx, first.Document.ID)
		noErr(t, "GetDocument", err)
		if d.SHA256 != "bbb" || d.ChunkCount != 1 || d.Filename != "faq.md" || !d.CreatedAt.Equal(first.Document.CreatedAt) {
			t.Errorf("document = %+v", d)
		}
	}},
	{"deleting a document deletes its chunks and logs the change", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		put, err := st.PutDocument(ctx, store.Document{Filename: "a.pdf", SHA256: "x"}, chunks("a"), nil)
		noErr(t, "PutDocument", err)
		noErr(t, "DeleteDocument", st.DeleteDocument(ctx, put.Document.ID))
		_, err = st.GetDocument(ctx, put.Document.ID)
		wantErr(t, "GetDocument", err, store.ErrNotFound)
		_, err = st.DocumentChunks(ctx, put.Document.ID)
		wantErr(t, "DocumentChunks", err, store.ErrNotFound)
		wantErr(t, "DeleteDocument again", st.DeleteDocument(ctx, put.Document.ID), store.ErrNotFound)
		changes, err := st.KnowledgeChanges(ctx, 0, 10)
		noErr(t, "KnowledgeChanges", err)
		if len(changes) != 2 || changes[0] != (store.KnowledgeChange{Sequence: changes[0].Sequence, Kind: "document", ID: put.Document.ID}) ||
			changes[1] != (store.KnowledgeChange{Sequence: changes[1].Sequence, Kind: "document", ID: put.Document.ID, Deleted: true}) {
			t.Errorf("changes = %+v", changes)
		}
		// Same file name again is a new document.
		again, err := st.PutDocument(ctx, store.Document{Filename: "a.pdf", SHA256: "x"}, chunks("a"), nil)
		noErr(t, "PutDocument after delete", err)
		if again.Replaced || again.Unchanged {
			t.Errorf("put after delete = %+v", again)
		}
	}},
	{"documents list by file name in pages", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		for _, name := range []string{"c.md", "a.md", "e.md", "b.md", "d.md"} {
			_, err := st.PutDocument(ctx, store.Document{Filename: name, SHA256: name}, nil, nil)
			noErr(t, "PutDocument", err)
		}
		var got []string
		cursor := ""
		for range 5 {
			page, next, err := st.ListDocuments(ctx, 2, cursor)
			noErr(t, "ListDocuments", err)
			for _, d := range page {
				got = append(got, d.Filename)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if !equalStrings(got, []string{"a.md", "b.md", "c.md", "d.md", "e.md"}) {
			t.Errorf("documents %q", got)
		}
	}},
	{"entries are created, updated, listed and deleted", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		var ids []string
		for i := range 5 {
			e, err := st.CreateEntry(ctx, store.Entry{Question: fmt.Sprint("q", i), Answer: "a", Source: "faq.csv", Learned: i%2 == 0, TicketID: fmt.Sprint("T-", i)})
			noErr(t, "CreateEntry", err)
			if e.ID == "" || e.CreatedAt.IsZero() {
				t.Fatalf("created = %+v", e)
			}
			ids = append(ids, e.ID)
		}
		_, err := st.CreateEntry(ctx, store.Entry{Question: "", Answer: "a"})
		if err == nil {
			t.Error("an entry without question was created")
		}
		upd, err := st.UpdateEntry(ctx, store.Entry{ID: ids[0], Question: "new q", Answer: "new a", Embedding: []float32{1, 2}, EmbeddingModel: "m2"})
		noErr(t, "UpdateEntry", err)
		if upd.Question != "new q" || upd.Answer != "new a" || !upd.Learned || upd.TicketID != "T-0" || len(upd.Embedding) != 2 || upd.EmbeddingModel != "m2" {
			t.Errorf("updated = %+v", upd)
		}
		_, err = st.UpdateEntry(ctx, store.Entry{ID: "nope", Question: "q", Answer: "a"})
		wantErr(t, "UpdateEntry(unknown)", err, store.ErrNotFound)
		var learned []string
		cursor := ""
		for range 5 {
			page, next, err := st.ListEntries(ctx, store.EntryFilter{LearnedOnly: true, Limit: 2, Cursor: cursor})
			noErr(t, "ListEntries", err)
			for _, e := range page {
				learned = append(learned, e.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if !equalStrings(learned, []string{ids[4], ids[2], ids[0]}) {
			t.Errorf("learned entries %v, want newest first %v", learned, []string{ids[4], ids[2], ids[0]})
		}
		all, _, err := st.ListEntries(ctx, store.EntryFilter{})
		noErr(t, "ListEntries(all)", err)
		if len(all) != 5 {
			t.Errorf("%d entries, want 5", len(all))
		}
		noErr(t, "DeleteEntry", st.DeleteEntry(ctx, ids[1]))
		_, err = st.GetEntry(ctx, ids[1])
		wantErr(t, "GetEntry", err, store.ErrNotFound)
		wantErr(t, "DeleteEntry again", st.DeleteEntry(ctx, ids[1]), store.ErrNotFound)
	}},
	{"the change log follows every knowledge change in order", func(t *testing.T, st store.Store) {
		ctx := testContext(t)
		if last, err := st.LastKnowledgeSequence(ctx); err != nil || last != 0 {
			t.Fatalf("LastKnowledgeSequence of an empty store = %d, %v", last, err)
		}
		d, _ := st.PutDocument(ctx, store.Document{Filename: "a.md", SHA256: "1"}, chunks("a"), nil)
		_, _ = st.PutDocument(ctx, store.Document{Filename: "a.md", SHA256: "1"}, chunks("a"), nil) // unchanged: no change
		e, _ := st.CreateEntry(ctx, store.Entry{Question: "q", Answer: "a"})
		_, _ = st.UpdateEntry(ctx, store.Entry{ID: e.ID, Question: "q2", Answer: "a"})
		_ = st.DeleteEntry(ctx, e.ID)
		tk := openTicket(t, st, "1", "q")
		ans, _, err := st.AnswerTicket(ctx, store.AnswerInput{TicketID: tk.ID, Answer: "a", Learn: &store.Entry{Question: "q", Answer: "a"}})
		noErr(t, "AnswerTicket", err)
		want := []store.KnowledgeChange{
			{Kind: "document", ID: d.Document.ID},
			{Kind: "entry", ID: e.ID},
			{Kind: "entry", ID: e.ID},
			{Kind: "entry", ID: e.ID, Deleted: true},
			{Kind: "entry", ID: ans.LearnedEntryID},
		}
		changes, err := st.KnowledgeChanges(ctx, 0, 100)
		noErr(t, "KnowledgeChanges", err)
		if len(changes) != len(want) {
			t.Fatalf("changes = %+v, want %+v", changes, want)
		}
		for i := range want {
			want[i].Sequence = changes[i].Sequence
			if changes[i] != want[i] || (i > 0 && changes[i].Sequence <= changes[i-1].Sequence) {
				t.Errorf("change %d = %+v, want %+v", i, changes[i], want[i])
			}
		}
		last, err := st.LastKnowledgeSequence(ctx)
		noErr(t, "LastKnowledgeSequence", err)
		if last != changes[len(changes)-1].Sequence {
			t.Errorf("LastKnowledgeSequence = %d, want %d", last, changes[len(changes)-1].Sequence)
		}
		tail, _ := st.KnowledgeChanges(ctx, changes[2].Sequence, 1)
		if len(tail) != 1 || tail[0] != changes[3] {
			t.Errorf("KnowledgeChanges(after 3rd, 1) = %+v", tail)
		}
	}},
}
