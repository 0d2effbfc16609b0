package governance

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"coop/raftdata/raftdatatest"
)

// A rulebook written before the custodians kind existed (in an old log, a
// stored version, an amendment) is still valid and votes on custodians
// under the default rule; a rulebook that names the kind keeps its own.
func TestRulebookWrittenBeforeCustodians(t *testing.T) {
	old := Default()
	delete(old.Voting, Custodians)
	raw, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var decoded Rulebook
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	if err := decoded.Validate(); err != nil {
		t.Fatalf("an older rulebook: %v", err)
	}
	rule, ok := decoded.Rule(Custodians)
	if !ok || rule != Default().Voting[Custodians] || rule.MinMinutes != 7*1440 || rule.ApprovalPercent != 66 {
		t.Fatalf("custodians rule of an older rulebook: %+v %v", rule, ok)
	}
	if _, ok := decoded.Rule("plebiscite"); ok {
		t.Fatal("an unknown kind has a rule")
	}
	own := Default()
	own.Voting[Custodians] = VotingRule{MinMinutes: 1, MaxMinutes: 5, QuorumPercent: 10, ApprovalPercent: 50, EarlyClose: CloseAtDeadline}
	if rule, _ := own.Rule(Custodians); rule.MaxMinutes != 5 {
		t.Fatalf("own rule: %+v", rule)
	}
	// The bootstrap of an old log adopts it.
	n := raftdatatest.Start(t, Register)
	svc := New(n.Store)
	if err := svc.Bootstrap(context.Background(), decoded); err != nil {
		t.Fatalf("bootstrap with an older rulebook: %v", err)
	}
}

func TestCustodianKeyParsing(t *testing.T) {
	for _, bad := range []string{"", "age1", "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS8H2EP7", "ssh-ed25519 AAAA"} {
		if _, err := ParseCustodianKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// The all-zero point parses as a key but receives no share.
	const zero = "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z"
	k, err := ParseCustodianKey(zero)
	if err != nil {
		t.Fatalf("the zero point: %v", err)
	}
	if err := checkKeyWraps(k); err == nil {
		t.Error("a low-order point can receive a share")
	}
}

// testdata/custodian_key_registered_v1.json is the payload of
// governance.custodian_key_registered as the first version wrote it to the
// log: every later version must still read it.
func TestCustodianKeyPayloadV1Golden(t *testing.T) {
	data, err := os.ReadFile("testdata/custodian_key_registered_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var p custodianKeyPayload
	if err := json.Unmarshal(data, &p); err != nil || p.Account != "6f1c0a3e9b2d4c5e8a7f60b1c2d3e4f5" || !strings.HasPrefix(p.PublicKey, "age1") {
		t.Fatalf("payload %+v, %v", p, err)
	}
}
