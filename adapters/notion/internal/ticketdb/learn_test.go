package ticketdb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/relevo/relevo/adapters/notion/notiontest"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func TestOpenAddsTheLearnCheckboxToADatabaseWithoutIt(t *testing.T) {
	fake, db, err := openFake(t, notiontest.TicketSchema("status"), DefaultNames())
	if err != nil {
		t.Fatal(err)
	}
	if !fake.HasProperty(dbID, "Aprender", "checkbox") {
		t.Fatal("the database has no Aprender checkbox after Open")
	}
	if got := db.Added(); len(got) != 1 || got[0] != "Aprender" {
		t.Errorf("Added() = %v, want [Aprender]", got)
	}
	if n := fake.CountRequests("PATCH", "/v1/databases/"); n != 1 {
		t.Errorf("%d database updates, want 1", n)
	}

	withBox := notiontest.TicketSchema("status")
	withBox["Aprender"] = notiontest.Prop{Type: "checkbox"}
	fake, db, err = openFake(t, withBox, DefaultNames())
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.CountRequests("PATCH", "/v1/databases/"); n != 0 || len(db.Added()) != 0 {
		t.Errorf("a database with the checkbox was updated %d times (added %v)", n, db.Added())
	}

	without := DefaultNames()
	without.Learn = ""
	fake, _, err = openFake(t, notiontest.TicketSchema("status"), without)
	if err != nil || fake.CountRequests("PATCH", "/v1/databases/") != 0 || fake.HasProperty(dbID, "Aprender", "checkbox") {
		t.Errorf("with the learn property disabled: err %v, database changed %v", err, fake.HasProperty(dbID, "Aprender", "checkbox"))
	}
}

func TestOpenRefusesALearnPropertyItCannotUse(t *testing.T) {
	text := notiontest.TicketSchema("status")
	text["Aprender"] = notiontest.Prop{Type: "rich_text"}
	_, _, err := openFake(t, text, DefaultNames())
	var se *SchemaError
	if !errors.As(err, &se) || se.Setting != SettingLearn || !strings.Contains(se.Problem, "checkbox") {
		t.Errorf("a text Aprender column: %v, want a SchemaError naming %s and the checkbox type", err, SettingLearn)
	}

	// An integration that may not change the database says so, and how to
	// go on without the checkbox.
	fake := notiontest.New(t)
	fake.AddDatabase(dbID, notiontest.TicketSchema("status"))
	fake.FailNext(notiontest.Failure{Method: "PATCH", Path: "/v1/databases/*", Status: 403, Code: "restricted_resource",
		Message: "API token does not have access to this resource."})
	_, err = open(t, fake, DefaultNames())
	if !errors.As(err, &se) || se.Setting != SettingLearn || !strings.Contains(se.Problem, "restricted_resource") || !strings.Contains(se.Problem, `"-"`) {
		t.Errorf("refused update: %v, want a SchemaError naming %s, Notion's code and the way out", err, SettingLearn)
	}
}

func TestTheLearnBoxBecomesTheLearnDecision(t *testing.T) {
	fake, db, err := openFake(t, notiontest.TicketSchema("status"), DefaultNames())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := db.Schema()
	page, err := db.CreatePage(ctx, &relevov1.Ticket{Id: "T-1", Question: "¿Abren el domingo?"})
	if err != nil {
		t.Fatal(err)
	}
	decision := func() (fromAPI, fromWebhook relevov1.LearnDecision) {
		p, err := db.Page(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		var obj struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(fake.PageJSON(page), &obj); err != nil {
			t.Fatal(err)
		}
		return s.LearnDecision(p.Values), s.LearnDecision(ParseValues(obj.Properties))
	}
	if a, w := decision(); a != relevov1.LearnDecision_LEARN_DECISION_NOT_APPROVED || w != a {
		t.Errorf("unticked box: %v (page) / %v (webhook), want NOT_APPROVED", a, w)
	}
	fake.SetChecked(page, "Aprender", true)
	if a, w := decision(); a != relevov1.LearnDecision_LEARN_DECISION_LEARN || w != a {
		t.Errorf("ticked box: %v (page) / %v (webhook), want LEARN", a, w)
	}
	if got := s.LearnDecision(Values{"Respuesta": {Type: "rich_text", Text: "Sí."}}); got != relevov1.LearnDecision_LEARN_DECISION_UNSPECIFIED {
		t.Errorf("values without the box: %v, want UNSPECIFIED", got)
	}
	none := Schema{Names: Names{Question: "Pregunta", Answer: "Respuesta"}}
	if got := none.LearnDecision(Values{"Aprender": {Type: "checkbox", Text: "true"}}); got != relevov1.LearnDecision_LEARN_DECISION_UNSPECIFIED {
		t.Errorf("a database without the learn property: %v, want UNSPECIFIED", got)
	}
}
