package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coop/governance"
)

// coop serve --demo seeds a coop a person can try at once; the step is
// idempotent (a new leader may run it again): a second run adds nothing.
func TestDemoSeedsACoopOnce(t *testing.T) {
	cfg := testConfig(t, "n1")
	cfg.Demo, cfg.Rules = true, "" // the demo's own rulebook
	n := startNode(t, cfg)
	waitReady(t, n)
	count := func(path, key string) int {
		_, body, err := tryGet(n.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string][]json.RawMessage
		json.Unmarshal([]byte(body), &out)
		return len(out[key])
	}
	if got := count("/api/v1/pools", "pools"); got != 2 {
		t.Fatalf("%d demo pools, want 2", got)
	}
	if got := count("/api/v1/proposals", "proposals"); got != 2 {
		t.Fatalf("%d demo proposals, want 2", got)
	}
	data, err := os.ReadFile(filepath.Join(cfg.Data, demoAccountsFile))
	if err != nil {
		t.Fatal(err)
	}
	password, _ := field(string(data), "password")
	tok := loginAs(t, n.URL(), "member1@"+demoEmailDomain, password)
	if m := me(t, n.URL(), tok); !m.Admitted {
		t.Fatalf("a demo member is not admitted: %+v", m)
	}
	// Short votes, and admission by an operator: a visitor waits.
	var rules struct{ Rules governance.Rulebook }
	jsonDecode(t, must(t, 200, "GET", n.URL()+"/api/v1/governance/rules", "", ""), &rules)
	if rules.Rules.Voting[governance.Knowledge].MinMinutes != 1 || rules.Rules.Voting[governance.Amendment].ApprovalPercent != 66 ||
		rules.Rules.Membership.Admission != governance.AdmitByOperator {
		t.Fatalf("the demo rulebook: %+v", rules.Rules)
	}
	_, visitor := mustSignup(t, n.URL(), "Visitor")
	if m := me(t, n.URL(), visitor); m.Admitted {
		t.Fatalf("a visitor of the demo is admitted at once: %+v", m)
	}
	if info, _ := os.Stat(filepath.Join(cfg.Data, demoAccountsFile)); info.Mode().Perm() != 0o600 {
		t.Fatalf("demo accounts file mode %v", info.Mode().Perm())
	}
	if err := n.bootstrapDemo(t.Context()); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if count("/api/v1/pools", "pools") != 2 || count("/api/v1/proposals", "proposals") != 2 {
		t.Fatal("a second run of the demo step added data")
	}
	if strings.Contains(string(data), "operator") {
		t.Fatal("the demo file names the operator")
	}
}

// The demo's pools speak French and English: a label in both for each
// pool, field and category value, so that no English id shows on a
// French page ("pour chaque heating").
func TestDemo_PoolsAreLabelledInBothLanguages(t *testing.T) {
	for _, p := range demoPools() {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		for _, lang := range []string{"fr", "en"} {
			if p.Labels[lang] == "" {
				t.Errorf("%s: no %s title", p.ID, lang)
			}
			for _, f := range p.Fields {
				if f.Labels[lang] == "" {
					t.Errorf("%s.%s: no %s label", p.ID, f.Name, lang)
				}
				for _, v := range f.Values {
					if f.ValueLabels[v][lang] == "" {
						t.Errorf("%s.%s=%s: no %s label", p.ID, f.Name, v, lang)
					}
				}
			}
		}
	}
}
