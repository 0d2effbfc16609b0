package members

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coop/raftdata"
	"coop/raftdata/raftdatatest"
)

// benchSeedAccounts adds, for the benchmark only, a command that creates
// N admitted members in one transaction (sign-ups would hash N
// passwords): the rows createAccount and admission write.
func benchSeedAccounts(reg *raftdata.Registry) {
	register(reg)
	reg.Handle("bench.seed_accounts", func(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
		var p struct{ N int }
		if err := cmd.Decode(&p); err != nil {
			return nil, err
		}
		for i := range p.N {
			id := fmt.Sprintf("bench-%06d", i)
			if _, err := tx.Exec(`INSERT INTO members_accounts(id, name, email, password_hash, status, created_at) VALUES(?,?,?,?,?,?)`,
				id, fmt.Sprintf("Member %06d", i), fmt.Sprintf("member%06d@coop.test", i), "x", StatusActive, int64(i)); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(`INSERT INTO members_roles(account_id, role, granted_at, granted_by) VALUES(?,?,?,?)`, id, RoleMember, int64(i), "bench"); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// BenchmarkAccountsPage: the operators' list of 10,000 accounts, a page
// of 50 at a time (the first, the last, a search by name) against the
// whole list read as /ops read it before (every account with its roles and
// charters), in the same run. Paging and search run in SQL.
func BenchmarkAccountsPage(b *testing.B) {
	n := raftdatatest.Start(b, benchSeedAccounts)
	e := attach(n, newClock())
	op := e.operator(b)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := n.Apply(ctx, "bench.seed_accounts", map[string]int{"N": 10000}); err != nil {
		b.Fatal(err)
	}
	every := func() int { // the list as it was: every account, three queries each
		q := e.svc.local(ctx)
		rows, err := q.Query(`SELECT ` + accountColumns + ` FROM members_accounts WHERE status <> 'deleted' ORDER BY created_at, id`)
		if err != nil {
			b.Fatal(err)
		}
		list, err := scanAccountRows(rows)
		if err != nil {
			b.Fatal(err)
		}
		for _, row := range list {
			if _, err := loadAccount(q, row, CharterVersions()); err != nil {
				b.Fatal(err)
			}
		}
		return len(list)
	}
	page := func(query string, n int) func() int {
		return func() int {
			p, err := e.svc.AccountsPage(ctx, op, query, n)
			if err != nil {
				b.Fatal(err)
			}
			return len(p.Accounts)
		}
	}
	measure := func(f func() int) time.Duration {
		start := time.Now()
		for range b.N {
			if f() == 0 {
				b.Fatal("nothing listed")
			}
		}
		return time.Since(start) / time.Duration(b.N)
	}
	b.ResetTimer()
	all := measure(every)
	first := measure(page("", 1))
	last := measure(page("", 10001/AccountsPageSize+1))
	search := measure(page("member 0099", 1))
	b.StopTimer()
	b.ReportMetric(float64(all.Microseconds()), "µs/whole-list")
	b.ReportMetric(float64(first)/float64(all), "first/whole")
	b.ReportMetric(float64(last)/float64(all), "last/whole")
	b.ReportMetric(float64(search)/float64(all), "search/whole")
}
