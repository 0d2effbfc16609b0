// Package governancetest gives tests a rulebook of their own: the default
// one became what a real cooperative accepts (votes of a day or more, an
// operator admitting each applicant), while tests need votes of a minute
// and members who vote as soon as they sign up.
package governancetest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"coop/governance"
)

// Rules is the default rulebook with votes of 1 minute or more for every
// kind and open admission (a sign-up is a member at once). Every other
// rule, the hard limits included, is the default's.
func Rules() governance.Rulebook {
	r := governance.Default().Clone()
	for k, rule := range r.Voting {
		rule.MinMinutes = 1
		r.Voting[k] = rule
	}
	r.Membership.Admission = governance.AdmitOpen
	return r
}

// File writes Rules to a file in a temporary directory of t, for coop
// serve --rules, and returns its path.
func File(t testing.TB) string {
	t.Helper()
	data, err := json.Marshal(Rules())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "test-rules.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
