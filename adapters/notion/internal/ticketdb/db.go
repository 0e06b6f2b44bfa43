package ticketdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jomei/notionapi"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// DB is the ticket database in Notion.
type DB struct {
	api    *notionapi.Client
	id     notionapi.DatabaseID
	schema Schema
	added  []string
}

// Open reads the database's schema and checks it against names and labels.
// A database created before the Learn checkbox existed gets it added, so
// that every specialist has the choice without touching the database by
// hand.
func Open(ctx context.Context, api *notionapi.Client, databaseID string, names Names, labels Labels) (*DB, error) {
	if databaseID == "" {
		return nil, errors.New("database id is empty")
	}
	db, err := api.Database.Get(ctx, notionapi.DatabaseID(databaseID))
	if err != nil {
		return nil, fmt.Errorf("get notion database %s: %w", databaseID, err)
	}
	var added []string
	if names.Learn != "" && db.Properties[names.Learn] == nil {
		db, err = api.Database.Update(ctx, notionapi.DatabaseID(databaseID), &notionapi.DatabaseUpdateRequest{
			Properties: notionapi.PropertyConfigs{names.Learn: LearnPropertyConfig()},
		})
		if err != nil {
			problem := "does not exist and could not be added"
			if code, msg, ok := APIError(err); ok {
				problem += fmt.Sprintf(" (notion answered %s: %s)", code, msg)
			}
			return nil, &SchemaError{Setting: SettingLearn, Property: names.Learn,
				Problem: problem + `; add a checkbox property of that name in Notion, or set it to "-" to let the learning policy alone decide`}
		}
		added = append(added, names.Learn)
	}
	s, err := DetectSchema(db, names, labels)
	if err != nil {
		return nil, err
	}
	return &DB{api: api, id: notionapi.DatabaseID(databaseID), schema: s, added: added}, nil
}

// Added returns the properties Open added to the database.
func (d *DB) Added() []string { return d.added }

// Schema returns the detected schema.
func (d *DB) Schema() Schema { return d.schema }

// ID returns the database id.
func (d *DB) ID() string { return string(d.id) }

// Page is a ticket page as read from Notion.
type Page struct {
	ID         string
	DatabaseID string
	Archived   bool
	Values     Values
}

// FindPage returns the id of the page whose ticket id property equals
// ticketID, or "" when there is none (or the database has no such
// property).
func (d *DB) FindPage(ctx context.Context, ticketID string) (string, error) {
	if d.schema.Names.TicketID == "" || ticketID == "" {
		return "", nil
	}
	resp, err := d.api.Database.Query(ctx, d.id, &notionapi.DatabaseQueryRequest{
		Filter: notionapi.PropertyFilter{
			Property: d.schema.Names.TicketID,
			RichText: &notionapi.TextFilterCondition{Equals: ticketID},
		},
		PageSize: 10,
	})
	if err != nil {
		return "", fmt.Errorf("query notion database for ticket %s: %w", ticketID, err)
	}
	// The filter is exact in Notion; check again so that a lenient match
	// (case, spacing) never links the wrong page.
	for _, p := range resp.Results {
		if id, _ := d.schema.TicketIDOf(ValuesFromProperties(p.Properties)); id == ticketID && !p.Archived {
			return string(p.ID), nil
		}
	}
	return "", nil
}

// CreatePage writes a ticket as a new page: properties, then its
// conversation as content. Content beyond one request's limit is appended
// after the page exists.
func (d *DB) CreatePage(ctx context.Context, t *relevov1.Ticket) (string, error) {
	blocks := ContextBlocks(t)
	first := blocks[:min(len(blocks), MaxArrayLen)]
	page, err := d.api.Page.Create(ctx, &notionapi.PageCreateRequest{
		Parent:     notionapi.Parent{Type: notionapi.ParentTypeDatabaseID, DatabaseID: d.id},
		Properties: d.schema.PageProperties(t),
		Children:   first,
	})
	if err != nil {
		return "", fmt.Errorf("create notion page for ticket %s: %w", t.GetId(), err)
	}
	if rest := blocks[len(first):]; len(rest) > 0 {
		if err := d.Append(ctx, string(page.ID), rest); err != nil {
			return string(page.ID), err
		}
	}
	return string(page.ID), nil
}

// Page fetches a page.
func (d *DB) Page(ctx context.Context, pageID string) (*Page, error) {
	p, err := d.api.Page.Get(ctx, notionapi.PageID(pageID))
	if err != nil {
		return nil, fmt.Errorf("get notion page %s: %w", pageID, err)
	}
	return &Page{
		ID:         string(p.ID),
		DatabaseID: string(p.Parent.DatabaseID),
		Archived:   p.Archived,
		Values:     ValuesFromProperties(p.Properties),
	}, nil
}

// Update sets the status label and, when answer is not nil, the answer.
// Properties the database lacks are left out; nothing to set is a no-op.
func (d *DB) Update(ctx context.Context, pageID, statusLabel string, answer *string) error {
	props := notionapi.Properties{}
	if d.schema.Names.Status != "" && statusLabel != "" {
		props[d.schema.Names.Status] = d.schema.StatusValue(statusLabel)
	}
	if answer != nil {
		props[d.schema.Names.Answer] = d.schema.AnswerValue(*answer)
	}
	if len(props) == 0 {
		return nil
	}
	if _, err := d.api.Page.Update(ctx, notionapi.PageID(pageID), &notionapi.PageUpdateRequest{Properties: props}); err != nil {
		return fmt.Errorf("update notion page %s: %w", pageID, err)
	}
	return nil
}

// Archive moves a page to Notion's trash. It sends "archived": true, which
// notionapi knows and API versions before 2026-03-11 accept as the alias of
// "in_trash" (the adapter speaks 2022-06-28 by default). A page already
// archived is not written again, so that replaying the event log costs one
// read per page; a page Notion no longer has is done as well. Notion keeps
// a trashed page for its own trash retention before deleting it for good.
func (d *DB) Archive(ctx context.Context, pageID string) error {
	p, err := d.api.Page.Get(ctx, notionapi.PageID(pageID))
	if NotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get notion page %s: %w", pageID, err)
	}
	if p.Archived {
		return nil
	}
	if _, err := d.api.Page.Update(ctx, notionapi.PageID(pageID), &notionapi.PageUpdateRequest{Archived: true}); err != nil {
		if NotFound(err) {
			return nil
		}
		return fmt.Errorf("archive notion page %s: %w", pageID, err)
	}
	return nil
}

// BlockTexts returns the plain text of every top-level block of a page.
func (d *DB) BlockTexts(ctx context.Context, pageID string) ([]string, error) {
	var texts []string
	var cursor notionapi.Cursor
	for {
		resp, err := d.api.Block.GetChildren(ctx, notionapi.BlockID(pageID), &notionapi.Pagination{StartCursor: cursor, PageSize: MaxArrayLen})
		if err != nil {
			return nil, fmt.Errorf("list blocks of notion page %s: %w", pageID, err)
		}
		for _, b := range resp.Results {
			texts = append(texts, blockText(b))
		}
		if !resp.HasMore || resp.NextCursor == "" {
			return texts, nil
		}
		cursor = notionapi.Cursor(resp.NextCursor)
	}
}

// HasMessage reports whether any block of the page carries the marker of
// messageID.
func (d *DB) HasMessage(ctx context.Context, pageID, messageID string) (bool, error) {
	texts, err := d.BlockTexts(ctx, pageID)
	if err != nil {
		return false, err
	}
	marker := MessageMarker(messageID)
	for _, t := range texts {
		if strings.Contains(t, marker) {
			return true, nil
		}
	}
	return false, nil
}

// Append adds blocks at the end of a page, as many requests as the limits
// need.
func (d *DB) Append(ctx context.Context, pageID string, blocks []notionapi.Block) error {
	for len(blocks) > 0 {
		n := min(len(blocks), MaxArrayLen)
		if _, err := d.api.Block.AppendChildren(ctx, notionapi.BlockID(pageID), &notionapi.AppendBlockChildrenRequest{Children: blocks[:n]}); err != nil {
			return fmt.Errorf("append blocks to notion page %s: %w", pageID, err)
		}
		blocks = blocks[n:]
	}
	return nil
}

// CreateDatabase creates a ticket database under a parent page and
// returns it.
func CreateDatabase(ctx context.Context, api *notionapi.Client, parentPageID, title string, names Names, labels Labels) (*notionapi.Database, error) {
	db, err := api.Database.Create(ctx, &notionapi.DatabaseCreateRequest{
		Parent:     notionapi.Parent{Type: notionapi.ParentTypePageID, PageID: notionapi.PageID(parentPageID)},
		Title:      richText(title),
		Properties: DatabaseProperties(names, labels),
	})
	if err != nil {
		return nil, fmt.Errorf("create notion database under page %s: %w", parentPageID, err)
	}
	return db, nil
}

// blockText is the plain text of a block with rich text; "" otherwise.
func blockText(b notionapi.Block) string {
	switch b := b.(type) {
	case *notionapi.ParagraphBlock:
		return PlainText(b.Paragraph.RichText)
	case interface{ GetRichTextString() string }:
		return b.GetRichTextString()
	}
	return ""
}

// APIError returns Notion's error code and message when err carries one.
func APIError(err error) (code, message string, ok bool) {
	var nerr *notionapi.Error
	if errors.As(err, &nerr) {
		return string(nerr.Code), nerr.Message, true
	}
	return "", "", false
}

// Permanent reports whether a Notion error will not go away by retrying the
// same request: the request or the configuration is wrong.
func Permanent(err error) bool {
	var nerr *notionapi.Error
	if !errors.As(err, &nerr) {
		return false
	}
	switch nerr.Code {
	case "validation_error", "invalid_json", "invalid_request", "invalid_request_url", "object_not_found", "restricted_resource":
		return true
	}
	return nerr.Status == 400
}

// NotFound reports whether Notion said the object does not exist (or is
// not shared with the integration).
func NotFound(err error) bool {
	var nerr *notionapi.Error
	return errors.As(err, &nerr) && nerr.Code == "object_not_found"
}
