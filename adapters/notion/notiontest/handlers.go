package notiontest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// apiError is an error answer in Notion's envelope.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.message }

func validation(format string, args ...any) *apiError {
	return &apiError{400, "validation_error", fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return &apiError{404, "object_not_found", fmt.Sprintf("Could not find %s with ID: %s. Make sure the relevant pages and databases are shared with your integration.", kind, id)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	var fail *Failure
	for i, f := range s.failures {
		if (f.Method == "" || f.Method == r.Method) && pathMatches(f.Path, r.URL.Path) {
			fail = &f
			s.failures = slices.Delete(s.failures, i, i+1)
			break
		}
	}
	s.notify()
	s.mu.Unlock()

	if fail != nil {
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		code, msg := fail.Code, fail.Message
		if code == "" {
			code, msg = defaultError(fail.Status)
		}
		writeError(w, &apiError{fail.Status, code, msg})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeError(w, &apiError{401, "unauthorized", "API token is invalid."})
		return
	}
	if r.Header.Get("Notion-Version") == "" {
		writeError(w, &apiError{400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was undefined."})
		return
	}
	var in map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, &apiError{400, "invalid_json", "Error parsing JSON body."})
			return
		}
	}
	s.mu.Lock()
	out, err := s.route(r, in)
	if err == nil && r.Method != http.MethodGet {
		s.notify()
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Notion-Request-Id", "00000000-0000-4000-8000-000000000000")
	_ = json.NewEncoder(w).Encode(out)
}

func pathMatches(pattern, path string) bool {
	if pattern == "" {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return pattern == path
}

func defaultError(status int) (string, string) {
	switch status {
	case 429:
		return "rate_limited", "You have been rate limited. Please try again in a few minutes."
	case 409:
		return "conflict_error", "Conflict occurred while saving. Please try again."
	case 500:
		return "internal_server_error", "Unexpected error occurred."
	case 502:
		return "bad_gateway", "Bad Gateway"
	case 503:
		return "service_unavailable", "Notion is unavailable, please try again later."
	case 504:
		return "gateway_timeout", "Gateway Timeout"
	}
	return "validation_error", "body failed validation."
}

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{500, "internal_server_error", "Unexpected error occurred."}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "error", "status": e.status, "code": e.code, "message": e.message,
		"request_id": "00000000-0000-4000-8000-000000000000",
	})
}

// route dispatches a request; the caller holds mu.
func (s *Server) route(r *http.Request, in map[string]any) (any, error) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" {
		return nil, &apiError{400, "invalid_request_url", "Invalid request URL"}
	}
	switch {
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "databases":
		return s.createDatabase(in)
	case r.Method == http.MethodPatch && len(parts) == 3 && parts[1] == "databases":
		return s.updateDatabase(parts[2], in)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "databases":
		db, ok := s.dbs[parts[2]]
		if !ok {
			return nil, notFound("database", parts[2])
		}
		return s.databaseObject(db), nil
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "databases" && parts[3] == "query":
		return s.query(parts[2], in)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "pages":
		return s.createPage(in)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "pages":
		p, ok := s.pages[parts[2]]
		if !ok {
			return nil, notFound("page", parts[2])
		}
		return s.pageObject(p), nil
	case r.Method == http.MethodPatch && len(parts) == 3 && parts[1] == "pages":
		return s.updatePage(parts[2], in)
	case r.Method == http.MethodPatch && len(parts) == 4 && parts[1] == "blocks" && parts[3] == "children":
		return s.appendChildren(parts[2], in)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "blocks" && parts[3] == "children":
		return s.listChildren(parts[2], r)
	}
	return nil, &apiError{400, "invalid_request", "Unsupported request: " + r.Method + " " + r.URL.Path + "."}
}

func (s *Server) createDatabase(in map[string]any) (any, error) {
	parent, _ := in["parent"].(map[string]any)
	pageID, _ := parent["page_id"].(string)
	if pageID == "" {
		return nil, validation("body failed validation: body.parent.page_id should be defined, instead was `undefined`.")
	}
	props, _ := in["properties"].(map[string]any)
	if len(props) == 0 {
		return nil, validation("body failed validation: body.properties should be defined, instead was `undefined`.")
	}
	db := &database{id: s.newID("database"), parent: pageID, props: map[string]map[string]any{}}
	if title, ok := in["title"].([]any); ok {
		for _, t := range title {
			db.title += richPlain(t)
		}
	}
	titles := 0
	for name, v := range props {
		p := propIn(v)
		if p.Type == "title" {
			titles++
		}
		db.props[name] = s.schemaObject(name, p)
	}
	if titles != 1 {
		return nil, validation("body failed validation: a database must have exactly one title property.")
	}
	s.dbs[db.id] = db
	return s.databaseObject(db), nil
}

// propIn reads a property schema object of a request.
func propIn(v any) Prop {
	conf, _ := v.(map[string]any)
	typ, _ := conf["type"].(string)
	if typ == "" {
		// The API also accepts {"<type>": {...}} without "type".
		for k := range conf {
			typ = k
		}
	}
	p := Prop{Type: typ}
	if sel, ok := conf[typ].(map[string]any); ok {
		opts, _ := sel["options"].([]any)
		for _, o := range opts {
			om, _ := o.(map[string]any)
			name, _ := om["name"].(string)
			p.Options = append(p.Options, name)
		}
	}
	return p
}

// updateDatabase adds the properties of the request that the database
// lacks; every page gets them empty, as Notion shows a new column. Changing
// or removing an existing property is beyond what the adapter does.
func (s *Server) updateDatabase(id string, in map[string]any) (any, error) {
	db, ok := s.dbs[id]
	if !ok {
		return nil, notFound("database", id)
	}
	props, _ := in["properties"].(map[string]any)
	for name, v := range props {
		if _, exists := db.props[name]; exists {
			return nil, validation("the fake does not change existing properties (%s)", name)
		}
		p := propIn(v)
		if p.Type == "" || p.Type == "title" {
			return nil, validation("body failed validation: body.properties.%s should define a type other than title.", name)
		}
		db.props[name] = s.schemaObject(name, p)
		for _, pg := range s.pages {
			if pg.db == id {
				pg.props[name] = emptyValue(p.Type)
			}
		}
	}
	return s.databaseObject(db), nil
}

func (s *Server) databaseObject(db *database) map[string]any {
	props := map[string]any{}
	for name, p := range db.props {
		props[name] = p
	}
	return map[string]any{
		"object": "database", "id": db.id, "cover": nil, "icon": nil,
		"created_time": "2025-04-20T16:00:00.000Z", "last_edited_time": "2025-04-20T16:00:00.000Z",
		"created_by":     map[string]any{"object": "user", "id": "07288573-1595-40ce-aa1b-54345a8a720b"},
		"last_edited_by": map[string]any{"object": "user", "id": "07288573-1595-40ce-aa1b-54345a8a720b"},
		"title":          []any{normRichText(map[string]any{"text": map[string]any{"content": db.title}})},
		"description":    []any{}, "is_inline": false,
		"properties": props,
		"parent":     map[string]any{"type": "page_id", "page_id": db.parent},
		"url":        "https://www.notion.so/" + strings.ReplaceAll(db.id, "-", ""),
		"public_url": nil, "archived": false, "in_trash": false,
	}
}

func (s *Server) createPage(in map[string]any) (any, error) {
	parent, _ := in["parent"].(map[string]any)
	dbID, _ := parent["database_id"].(string)
	db, ok := s.dbs[dbID]
	if !ok {
		return nil, notFound("database", dbID)
	}
	props, _ := in["properties"].(map[string]any)
	if props == nil {
		return nil, validation("body failed validation: body.properties should be defined, instead was `undefined`.")
	}
	values, err := s.values(db, props)
	if err != nil {
		return nil, err
	}
	children, err := s.blocksIn(in["children"], "body.children")
	if err != nil {
		return nil, err
	}
	p := &page{id: s.newID("page"), db: dbID, props: map[string]any{}, created: now(), edited: now()}
	for name, schema := range db.props {
		p.props[name] = emptyValue(schema["type"].(string))
	}
	for name, v := range values {
		p.props[name] = v
	}
	s.pages[p.id] = p
	s.order = append(s.order, p.id)
	s.addBlocks(p.id, children)
	return s.pageObject(p), nil
}

func (s *Server) updatePage(id string, in map[string]any) (any, error) {
	p, ok := s.pages[id]
	if !ok {
		return nil, notFound("page", id)
	}
	if props, ok := in["properties"].(map[string]any); ok {
		values, err := s.values(s.dbs[p.db], props)
		if err != nil {
			return nil, err
		}
		for name, v := range values {
			p.props[name] = v
		}
	}
	if a, ok := in["archived"].(bool); ok {
		p.archived = a
	}
	p.edited = now()
	return s.pageObject(p), nil
}

// values validates property values sent in a request and returns them in
// the form Notion returns.
func (s *Server) values(db *database, props map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for name, raw := range props {
		schema, ok := db.props[name]
		if !ok {
			return nil, validation("%s is not a property that exists.", name)
		}
		typ := schema["type"].(string)
		v, _ := raw.(map[string]any)
		val, present := v[typ]
		if !present {
			return nil, validation("body failed validation: body.properties.%s.%s should be defined, instead was `undefined`.", name, typ)
		}
		path := "body.properties." + name + "." + typ
		switch typ {
		case "title", "rich_text":
			rt, err := richTextIn(val, path)
			if err != nil {
				return nil, err
			}
			out[name] = rt
		case "phone_number":
			if val == nil {
				out[name] = nil
				continue
			}
			str, ok := val.(string)
			if !ok || units(str) > 200 {
				return nil, validation("body failed validation: %s should be a string of at most 200 characters.", path)
			}
			out[name] = str
		case "number":
			if _, ok := val.(float64); !ok && val != nil {
				return nil, validation("body failed validation: %s should be a number or `null`.", path)
			}
			out[name] = val
		case "select", "status":
			if val == nil {
				out[name] = nil
				continue
			}
			opt, _ := val.(map[string]any)
			oname, _ := opt["name"].(string)
			conf := schema[typ].(map[string]any)
			options := conf["options"].([]any)
			var found map[string]any
			for _, o := range options {
				if om := o.(map[string]any); om["name"] == oname {
					found = om
				}
			}
			if found == nil {
				if typ == "status" {
					return nil, validation("Invalid status option. Status option %q does not exist.", oname)
				}
				if oname == "" || strings.Contains(oname, ",") {
					return nil, validation("body failed validation: %s.name is invalid.", path)
				}
				found = map[string]any{"id": fmt.Sprintf("opt-%d", s.next()), "name": oname, "color": "default", "description": nil}
				conf["options"] = append(options, found)
			}
			out[name] = map[string]any{"id": found["id"], "name": found["name"], "color": found["color"]}
		case "checkbox":
			b, ok := val.(bool)
			if !ok {
				return nil, validation("body failed validation: %s should be a boolean, instead was `%v`.", path, val)
			}
			out[name] = b
		default:
			return nil, validation("the fake does not write %s properties", typ)
		}
	}
	return out, nil
}

func (s *Server) pageObject(p *page) map[string]any {
	db := s.dbs[p.db]
	props := map[string]any{}
	for name, v := range p.props {
		schema := db.props[name]
		typ := schema["type"].(string)
		props[name] = map[string]any{"id": schema["id"], "type": typ, typ: v}
	}
	user := map[string]any{"object": "user", "id": "1edc05f6-2702-81b5-8408-00279347f034"}
	return map[string]any{
		"object": "page", "id": p.id,
		"created_time": p.created.Format("2006-01-02T15:04:05.000Z"), "last_edited_time": p.edited.Format("2006-01-02T15:04:05.000Z"),
		"created_by": user, "last_edited_by": map[string]any{"object": "user", "id": "07288573-1595-40ce-aa1b-54345a8a720b"},
		"cover": nil, "icon": nil,
		"parent":   map[string]any{"type": "database_id", "database_id": p.db},
		"archived": p.archived, "in_trash": p.archived,
		"properties": props,
		"url":        "https://www.notion.so/" + strings.ReplaceAll(p.id, "-", ""),
		"public_url": nil,
	}
}

func (s *Server) query(dbID string, in map[string]any) (any, error) {
	if _, ok := s.dbs[dbID]; !ok {
		return nil, notFound("database", dbID)
	}
	match := func(*page) bool { return true }
	if f, ok := in["filter"].(map[string]any); ok {
		prop, _ := f["property"].(string)
		var cond map[string]any
		for _, k := range []string{"rich_text", "title", "phone_number", "number", "select", "status"} {
			if c, ok := f[k].(map[string]any); ok {
				cond = c
			}
		}
		want, ok := cond["equals"]
		if prop == "" || !ok {
			return nil, validation("body failed validation: the fake supports one property filter with \"equals\".")
		}
		if _, ok := s.dbs[dbID].props[prop]; !ok {
			return nil, validation("Could not find property with name or id: %s", prop)
		}
		wantText := fmt.Sprint(want)
		if n, ok := want.(float64); ok {
			wantText = strconv.FormatFloat(n, 'f', -1, 64)
		}
		match = func(p *page) bool { return valueText(p.props[prop]) == wantText }
	}
	var results []any
	for _, id := range s.order {
		if p := s.pages[id]; p.db == dbID && !p.archived && match(p) {
			results = append(results, s.pageObject(p))
		}
	}
	size := 100
	if n, ok := in["page_size"].(float64); ok && n > 0 && n < 100 {
		size = int(n)
	}
	start, _ := in["start_cursor"].(string)
	return list(results, start, size, "page_or_database", func(v any) string { return v.(map[string]any)["id"].(string) }), nil
}

func list(all []any, start string, size int, typ string, idOf func(any) string) map[string]any {
	i := 0
	if start != "" {
		i = len(all)
		for j, v := range all {
			if idOf(v) == start {
				i = j
			}
		}
	}
	end := min(i+size, len(all))
	page := append([]any{}, all[i:end]...)
	var next any
	if end < len(all) {
		next = idOf(all[end])
	}
	return map[string]any{"object": "list", "results": page, "next_cursor": next, "has_more": next != nil, "type": typ, typ: map[string]any{}}
}

func (s *Server) appendChildren(parentID string, in map[string]any) (any, error) {
	if _, ok := s.pages[parentID]; !ok {
		return nil, notFound("block", parentID)
	}
	children, err := s.blocksIn(in["children"], "body.children")
	if err != nil {
		return nil, err
	}
	if len(children) == 0 {
		return nil, validation("body failed validation: body.children should be defined, instead was `undefined`.")
	}
	added := s.addBlocks(parentID, children)
	return map[string]any{"object": "list", "results": added, "next_cursor": nil, "has_more": false, "type": "block", "block": map[string]any{}}, nil
}

func (s *Server) listChildren(parentID string, r *http.Request) (any, error) {
	if _, ok := s.pages[parentID]; !ok {
		return nil, notFound("block", parentID)
	}
	size := 100
	if n, err := strconv.Atoi(r.URL.Query().Get("page_size")); err == nil && n > 0 && n < 100 {
		size = n
	}
	var all []any
	for _, b := range s.blocks[parentID] {
		all = append(all, b)
	}
	return list(all, r.URL.Query().Get("start_cursor"), size, "block", func(v any) string { return v.(map[string]any)["id"].(string) }), nil
}

// blocksIn validates blocks sent in a request and returns them normalised.
func (s *Server) blocksIn(raw any, path string) ([]map[string]any, error) {
	if raw == nil {
		return nil, nil
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, validation("body failed validation: %s should be an array.", path)
	}
	if len(arr) > 100 {
		return nil, validation("body failed validation: %s.length should be ≤ `100`, instead was `%d`.", path, len(arr))
	}
	var out []map[string]any
	for i, b := range arr {
		bm, _ := b.(map[string]any)
		typ, _ := bm["type"].(string)
		content, ok := bm[typ].(map[string]any)
		if typ == "" || !ok {
			return nil, validation("body failed validation: %s[%d] should have a type and its content.", path, i)
		}
		norm := map[string]any{"color": "default"}
		for k, v := range content {
			norm[k] = v
		}
		if rt, ok := content["rich_text"]; ok {
			got, err := richTextIn(rt, fmt.Sprintf("%s[%d].%s.rich_text", path, i, typ))
			if err != nil {
				return nil, err
			}
			norm["rich_text"] = got
		}
		out = append(out, map[string]any{"type": typ, typ: norm})
	}
	return out, nil
}

func (s *Server) addBlocks(parentID string, blocks []map[string]any) []any {
	var added []any
	for _, b := range blocks {
		user := map[string]any{"object": "user", "id": "1edc05f6-2702-81b5-8408-00279347f034"}
		b["object"] = "block"
		b["id"] = s.newID("block")
		b["parent"] = map[string]any{"type": "page_id", "page_id": parentID}
		b["created_time"] = now().Format("2006-01-02T15:04:05.000Z")
		b["last_edited_time"] = b["created_time"]
		b["created_by"], b["last_edited_by"] = user, user
		b["has_children"], b["archived"], b["in_trash"] = false, false, false
		s.blocks[parentID] = append(s.blocks[parentID], b)
		added = append(added, b)
	}
	return added
}

// richTextIn validates a rich text array against Notion's limits and
// returns it in the form Notion returns.
func richTextIn(raw any, path string) ([]any, error) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, validation("body failed validation: %s should be an array, instead was `%v`.", path, raw)
	}
	if len(arr) > 100 {
		return nil, validation("body failed validation: %s.length should be ≤ `100`, instead was `%d`.", path, len(arr))
	}
	out := []any{}
	for i, r := range arr {
		rm, _ := r.(map[string]any)
		text, _ := rm["text"].(map[string]any)
		content, ok := text["content"].(string)
		if !ok {
			return nil, validation("body failed validation: %s[%d].text.content should be defined, instead was `undefined`.", path, i)
		}
		if n := units(content); n > 2000 {
			return nil, validation("body failed validation: %s[%d].text.content.length should be ≤ `2000`, instead was `%d`.", path, i, n)
		}
		out = append(out, normRichText(rm))
	}
	return out, nil
}

func normRichText(in map[string]any) map[string]any {
	text, _ := in["text"].(map[string]any)
	content, _ := text["content"].(string)
	link := text["link"]
	var href any
	if lm, ok := link.(map[string]any); ok {
		href = lm["url"]
	}
	ann := map[string]any{"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}
	if a, ok := in["annotations"].(map[string]any); ok {
		for k, v := range a {
			ann[k] = v
		}
	}
	return map[string]any{
		"type":        "text",
		"text":        map[string]any{"content": content, "link": link},
		"annotations": ann,
		"plain_text":  content,
		"href":        href,
	}
}

func emptyValue(typ string) any {
	switch typ {
	case "title", "rich_text":
		return []any{}
	case "checkbox":
		return false
	}
	return nil
}

func textValue(typ, text string) any {
	switch typ {
	case "title", "rich_text":
		if text == "" {
			return []any{}
		}
		return []any{normRichText(map[string]any{"text": map[string]any{"content": text}})}
	case "number":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil
		}
		return f
	case "select", "status":
		return map[string]any{"id": "opt-" + text, "name": text, "color": "default"}
	case "checkbox":
		return text == "true"
	}
	return text
}

func valueText(v any) string {
	switch v := v.(type) {
	case []any:
		var b strings.Builder
		for _, r := range v {
			b.WriteString(richPlain(r))
		}
		return b.String()
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		name, _ := v["name"].(string)
		return name
	}
	return ""
}

func richPlain(r any) string {
	rm, _ := r.(map[string]any)
	if p, ok := rm["plain_text"].(string); ok {
		return p
	}
	text, _ := rm["text"].(map[string]any)
	c, _ := text["content"].(string)
	return c
}

func blockPlain(b map[string]any) string {
	typ, _ := b["type"].(string)
	content, _ := b[typ].(map[string]any)
	return valueText(content["rich_text"])
}

// units counts UTF-16 code units, as Notion (JavaScript) measures length.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}
