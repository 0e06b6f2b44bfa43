package webhook

import (
	"net/http"
	"testing"

	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

func TestEnviarPassesTheAprenderBoxToAnswerTicket(t *testing.T) {
	tests := []struct {
		name        string
		ticked      bool
		props       []string // properties in the Send-webhook payload; nil for all
		event       bool     // an integration event (Estado set to Enviado) instead of the button
		want        relevov1.LearnDecision
		wantFetched bool
	}{
		{name: "a ticked box is the specialist's approval", ticked: true, want: relevov1.LearnDecision_LEARN_DECISION_LEARN},
		{name: "an unticked box is an approval not given", want: relevov1.LearnDecision_LEARN_DECISION_NOT_APPROVED},
		{name: "a payload without the box reads it from the page", ticked: true, props: []string{"Pregunta", "Respuesta", "ID"},
			want: relevov1.LearnDecision_LEARN_DECISION_LEARN, wantFetched: true},
		{name: "an integration event reads the box from the page", ticked: true, event: true,
			want: relevov1.LearnDecision_LEARN_DECISION_LEARN, wantFetched: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{Secret: secret, VerificationToken: docsToken})
			page := e.ticketPage(t, "T-1", true)
			e.notion.SetText(page, "Respuesta", "Abrimos de 10 a 14 los domingos.")
			e.notion.SetChecked(page, "Aprender", tt.ticked)
			body, header := e.notion.SendWebhookBody(page, tt.props), withSecret(secret)
			if tt.event {
				e.notion.SetText(page, "Estado", "Enviado")
				body = []byte(`{"id":"e-1","type":"page.properties_updated","entity":{"id":"` + page + `","type":"page"},"authors":[{"id":"u-9","type":"person"}],"data":{}}`)
				header = map[string]string{"X-Notion-Signature": Sign(docsToken, body)}
			}
			gets := e.notion.CountRequests(http.MethodGet, "/v1/pages/")
			code, res := e.post(t, body, header)
			if code != http.StatusOK || res.Status != "sent" {
				t.Fatalf("status %d %+v, want 200 sent", code, res)
			}
			answers := e.tickets.Answers()
			if len(answers) != 1 || answers[0].GetLearn() != tt.want || answers[0].GetSkipLearning() {
				t.Fatalf("AnswerTicket calls %v, want one with learn %v", answers, tt.want)
			}
			if fetched := e.notion.CountRequests(http.MethodGet, "/v1/pages/") > gets; fetched != tt.wantFetched {
				t.Errorf("page fetched = %v, want %v", fetched, tt.wantFetched)
			}
		})
	}
}
