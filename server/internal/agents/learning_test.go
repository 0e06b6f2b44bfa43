package agents

import (
	"strings"
	"testing"
)

func TestLearningPolicyDefaultsToAutoAndRejectsOtherValues(t *testing.T) {
	const base = "knowledge: {answer_threshold: 0.6}\nhuman: {handoff_message: x}\n"
	p, err := ParseProfile([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if p.Learning.Policy != LearnAuto {
		t.Errorf("policy of a profile without learning = %q, want auto", p.Learning.Policy)
	}
	if got := DefaultProfile().Learning.Policy; got != LearnAuto {
		t.Errorf("embedded profile policy = %q, want auto", got)
	}
	for _, policy := range []string{LearnAuto, LearnReview, LearnOff} {
		p, err := ParseProfile([]byte(base + "learning: {policy: " + policy + "}"))
		if err != nil || p.Learning.Policy != policy {
			t.Errorf("policy %s: %v, %v", policy, p, err)
		}
	}
	for _, bad := range []string{"manual", "Auto", "yes"} {
		_, err := ParseProfile([]byte(base + "learning: {policy: " + bad + "}"))
		if err == nil || !strings.Contains(err.Error(), "learning.policy") || !strings.Contains(err.Error(), bad) {
			t.Errorf("policy %q: got %v, want an error naming learning.policy and the value", bad, err)
		}
	}
	if _, err := ParseProfile([]byte(base + "learning: {polcy: review}")); err == nil || !strings.Contains(err.Error(), "polcy") {
		t.Errorf("misspelt key: got %v, want an error naming it", err)
	}
}
