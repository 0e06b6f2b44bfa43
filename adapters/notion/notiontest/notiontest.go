// Package notiontest is a fake of the Notion API for tests: an httptest
// server that speaks Notion's wire format (API version 2022-06-28) for the
// calls the Relevo adapter makes — retrieve/create/query databases, add
// properties to a database,
// create/retrieve/update pages, append/list block children — validates
// requests against Notion's documented limits, records every request and
// can be scripted to fail (a 429 with Retry-After, a 5xx, ...).
package notiontest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the integration token the fake accepts.
const Token = "ntn_fake_integration_token"

// Request is a request the fake received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// Failure scripts an error answer to the next request that matches Method
// and Path (a path ending in "*" matches by prefix; empty matches all).
type Failure struct {
	Method     string
	Path       string
	Status     int
	Code       string
	Message    string
	RetryAfter string // value of the Retry-After header, if any
}

// Prop is a property of a database schema.
type Prop struct {
	Type    string   // title, rich_text, phone_number, number, select, status, checkbox
	Options []string // select and status options
}

// Schema is a database schema by property name.
type Schema map[string]Prop

// TicketSchema is the default Relevo ticket database with the given type of
// the Estado property ("status" or "select").
func TicketSchema(statusType string) Schema {
	return Schema{
		"Pregunta":  {Type: "title"},
		"Respuesta": {Type: "rich_text"},
		"Celular":   {Type: "phone_number"},
		"ID":        {Type: "rich_text"},
		"Estado":    {Type: statusType, Options: []string{"Pendiente", "En curso", "Enviado", "Cerrado"}},
	}
}

// Server is the fake. Create it with New.
type Server struct {
	// URL is the base URL to point a client at.
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	changed  chan struct{}
	seq      int
	dbs      map[string]*database
	pages    map[string]*page
	order    []string
	blocks   map[string][]map[string]any
	requests []Request
	failures []Failure
}

type database struct {
	id, parent, title string
	props             map[string]map[string]any // name -> schema object
}

type page struct {
	id, db   string
	props    map[string]any // name -> value (as returned, without id/type)
	created  time.Time
	edited   time.Time
	archived bool
}

// New starts a fake and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake outside a test (the adapter conformance command);
// Close stops it.
func Start() *Server {
	s := &Server{
		changed: make(chan struct{}),
		dbs:     map[string]*database{},
		pages:   map[string]*page{},
		blocks:  map[string][]map[string]any{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// AddDatabase adds a database with the given schema.
func (s *Server) AddDatabase(id string, schema Schema) {
	s.mu.Lock()
	defer s.mu.Unlock()
	db := &database{id: id, title: "Tickets", props: map[string]map[string]any{}}
	for name, p := range schema {
		db.props[name] = s.schemaObject(name, p)
	}
	s.dbs[id] = db
	s.notify()
}

func (s *Server) schemaObject(name string, p Prop) map[string]any {
	id := "title"
	if p.Type != "title" {
		id = fmt.Sprintf("p%03d", s.next())
	}
	conf := map[string]any{}
	switch p.Type {
	case "number":
		conf["format"] = "number"
	case "select", "status":
		opts := []any{}
		for _, o := range p.Options {
			opts = append(opts, map[string]any{"id": fmt.Sprintf("opt-%d", s.next()), "name": o, "color": "default", "description": nil})
		}
		conf["options"] = opts
		if p.Type == "status" {
			conf["groups"] = []any{}
		}
	}
	return map[string]any{"id": id, "name": name, "type": p.Type, p.Type: conf}
}

// FailNext queues a scripted failure.
func (s *Server) FailNext(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// CountRequests counts the requests with the given method whose path has
// the given prefix.
func (s *Server) CountRequests(method, pathPrefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// WaitFor blocks until cond (which may call the Server's accessors) holds
// after some change, or ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("notiontest: condition not met: %w", ctx.Err())
		}
	}
}

// PageIDs returns the ids of the pages of a database, in creation order.
func (s *Server) PageIDs(databaseID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.order {
		if p := s.pages[id]; p.db == databaseID && !p.archived {
			ids = append(ids, id)
		}
	}
	return ids
}

// Archived reports whether a page is archived (in Notion's trash); false
// for a page that does not exist.
func (s *Server) Archived(pageID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[pageID]
	return ok && p.archived
}

// FindPages returns the ids of the pages whose property prop has the text.
func (s *Server) FindPages(databaseID, prop, text string) []string {
	var ids []string
	for _, id := range s.PageIDs(databaseID) {
		if s.Text(id, prop) == text {
			ids = append(ids, id)
		}
	}
	return ids
}

// Text returns the text of a page property: rich text joined, a phone
// number, a number, an option name, "true" or "false" for a checkbox.
func (s *Server) Text(pageID, prop string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[pageID]
	if !ok {
		return ""
	}
	return valueText(p.props[prop])
}

// RichTextParts returns the text of each rich text object of a property.
func (s *Server) RichTextParts(pageID, prop string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[pageID]
	if !ok {
		return nil
	}
	arr, _ := p.props[prop].([]any)
	var parts []string
	for _, r := range arr {
		parts = append(parts, richPlain(r))
	}
	return parts
}

// BlockTexts returns the plain text of each block of a page.
func (s *Server) BlockTexts(pageID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var texts []string
	for _, b := range s.blocks[pageID] {
		texts = append(texts, blockPlain(b))
	}
	return texts
}

// Blocks returns the blocks of a page as Notion returns them.
func (s *Server) Blocks(pageID string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.blocks[pageID])
}

// AddPage creates a page directly, as a person (or an earlier run) would.
// values map property names to text (option names for select/status).
func (s *Server) AddPage(databaseID string, values map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	db := s.dbs[databaseID]
	p := &page{id: s.newID("page"), db: databaseID, props: map[string]any{}, created: now(), edited: now()}
	for name, schema := range db.props {
		p.props[name] = emptyValue(schema["type"].(string))
	}
	for name, text := range values {
		p.props[name] = textValue(db.props[name]["type"].(string), text)
	}
	s.pages[p.id] = p
	s.order = append(s.order, p.id)
	s.notify()
	return p.id
}

// SetText sets a property of a page as a specialist would in Notion; for
// rich text and titles each part becomes one rich text object, and a part
// written "**like this**" is bold.
func (s *Server) SetText(pageID, prop string, parts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pages[pageID]
	typ := s.dbs[p.db].props[prop]["type"].(string)
	switch typ {
	case "title", "rich_text":
		arr := []any{}
		for _, part := range parts {
			bold := strings.HasPrefix(part, "**") && strings.HasSuffix(part, "**") && len(part) > 4
			if bold {
				part = part[2 : len(part)-2]
			}
			r := normRichText(map[string]any{"text": map[string]any{"content": part}})
			r["annotations"].(map[string]any)["bold"] = bold
			arr = append(arr, r)
		}
		p.props[prop] = arr
	default:
		p.props[prop] = textValue(typ, strings.Join(parts, ""))
	}
	p.edited = now()
	s.notify()
}

// SetChecked ticks or clears a checkbox of a page, as a specialist would.
func (s *Server) SetChecked(pageID, prop string, checked bool) {
	s.SetText(pageID, prop, strconv.FormatBool(checked))
}

// HasProperty reports whether a database has a property of that name and
// type.
func (s *Server) HasProperty(databaseID, name, typ string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, ok := s.dbs[databaseID]
	if !ok {
		return false
	}
	p, ok := db.props[name]
	return ok && p["type"] == typ
}

// PageJSON returns a page object as GET /v1/pages/{id} returns it.
func (s *Server) PageJSON(pageID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.pageObject(s.pages[pageID]))
	return b
}

// SendWebhookBody returns the body of a database button's "Send webhook"
// action for a page: the page object (with only the named properties when
// props is not nil) in the Send-webhook envelope.
func (s *Server) SendWebhookBody(pageID string, props []string) []byte {
	s.mu.Lock()
	obj := s.pageObject(s.pages[pageID])
	s.mu.Unlock()
	if props != nil {
		all := obj["properties"].(map[string]any)
		kept := map[string]any{}
		for _, name := range props {
			if v, ok := all[name]; ok {
				kept[name] = v
			}
		}
		obj["properties"] = kept
	}
	obj["request_id"] = "5d6e7f80-9a1b-4c2d-8e3f-000000000001"
	b, _ := json.Marshal(map[string]any{
		"source": map[string]any{
			"type":          "automation",
			"automation_id": "2a7c9e1b-3d5f-4a6b-8c9d-000000000001",
			"action_id":     "2a7c9e1b-3d5f-4b7c-9d0e-000000000002",
			"event_id":      "7e8f9a0b-1c2d-4e3f-a4b5-000000000003",
			"attempt":       1,
		},
		"data": obj,
	})
	return b
}

func (s *Server) next() int { s.seq++; return s.seq }

func (s *Server) newID(kind string) string {
	n := s.next()
	prefix := map[string]string{"page": "1e4bdf9f", "block": "5e7a9c1b", "database": "8c1e4f5a"}[kind]
	return fmt.Sprintf("%s-f5fd-4000-8000-%012d", prefix, n)
}

// notify wakes WaitFor callers; the caller holds mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
