package members

import (
	"fmt"
	"testing"
)

// The operators' list of accounts is paged and searched in SQL: by any
// part of the name or email, in any case, wildcards taken literally.
func TestAccountsPage_PagedAndSearched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.operator(t)
	svc, ctx := e.svc, ctxT(t)
	for i := range AccountsPageSize + 5 {
		name := fmt.Sprintf("Member %02d", i)
		if i == 7 {
			name = "Zoé_Durand"
		}
		if _, err := svc.SignUp(ctx, SignupInput{Name: name, Email: fmt.Sprintf("m%02d@coop.test", i), Password: goodPassword, AcceptCharter: true}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := svc.AccountsPage(ctx, op, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	total := AccountsPageSize + 6 // and the operator
	if len(first.Accounts) != AccountsPageSize || first.Total != total || !first.More {
		t.Fatalf("page 1: %d accounts of %d, more %v", len(first.Accounts), first.Total, first.More)
	}
	second, err := svc.AccountsPage(ctx, op, "", 2)
	if err != nil || len(second.Accounts) != 6 || second.More || second.Accounts[0].ID == first.Accounts[0].ID {
		t.Fatalf("page 2: %d accounts, more %v, %v", len(second.Accounts), second.More, err)
	}
	for query, want := range map[string]int{"zoé": 1, "ZOÉ_D": 1, "m07@": 1, "coop.test": total - 1, "member 1": 10, "%": 0, "_": 1, "nobody": 0} {
		got, err := svc.AccountsPage(ctx, op, query, 1)
		if err != nil || got.Total != want || len(got.Accounts) != min(want, AccountsPageSize) {
			t.Errorf("%q: %d (%d shown), want %d: %v", query, got.Total, len(got.Accounts), want, err)
		}
	}
	if _, err := svc.AccountsPage(ctx, first.Accounts[1], "", 1); err == nil {
		t.Fatal("a member lists the accounts")
	}
}
