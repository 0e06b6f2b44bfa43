package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// ParseQAJSON reads a JSON array of {"question", "answer"} objects (Spanish
// keys "pregunta" and "respuesta" are accepted too), or an object holding
// such an array under "entries".
func ParseQAJSON(data []byte) ([]QA, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var raw []map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		var wrapped struct {
			Entries []map[string]any `json:"entries"`
		}
		if err2 := json.Unmarshal(data, &wrapped); err2 != nil || wrapped.Entries == nil {
			return nil, unreadable("not a JSON array of question/answer objects: %v", err)
		}
		raw = wrapped.Entries
	}
	var out []QA
	for _, obj := range raw {
		q := cleanSpace(field(obj, "question", "pregunta", "q"))
		a := strings.TrimSpace(field(obj, "answer", "respuesta", "a"))
		if q != "" && a != "" {
			out = append(out, QA{Question: q, Answer: a})
		}
	}
	if len(out) == 0 {
		return nil, unreadable("no entries with both a question and an answer")
	}
	return out, nil
}

func field(obj map[string]any, names ...string) string {
	for k, v := range obj {
		for _, n := range names {
			if strings.EqualFold(strings.TrimSpace(k), n) {
				if s, ok := v.(string); ok {
					return s
				}
			}
		}
	}
	return ""
}

// ParseQACSV reads a CSV file whose header names a question column
// ("question" or "pregunta") and an answer column ("answer" or
// "respuesta"). Comma and semicolon separators are both accepted, since
// spreadsheets in Spanish locales export with semicolons.
func ParseQACSV(data []byte) ([]QA, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	firstLine, _, _ := strings.Cut(string(data), "\n")
	if strings.Count(firstLine, ";") > strings.Count(firstLine, ",") {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return nil, unreadable("CSV without a header: %v", err)
	}
	qi, ai := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "question", "pregunta":
			qi = i
		case "answer", "respuesta":
			ai = i
		}
	}
	if qi < 0 || ai < 0 {
		return nil, unreadable("CSV header must name a question (pregunta) and an answer (respuesta) column")
	}
	var out []QA
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, unreadable("CSV: %v", err)
		}
		if qi >= len(rec) || ai >= len(rec) {
			continue
		}
		q, a := cleanSpace(rec[qi]), strings.TrimSpace(rec[ai])
		if q != "" && a != "" {
			out = append(out, QA{Question: q, Answer: a})
		}
	}
	if len(out) == 0 {
		return nil, unreadable("no rows with both a question and an answer")
	}
	return out, nil
}
