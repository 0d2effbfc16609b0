package proposals

import (
	"context"
	"fmt"
	"time"

	"coop/governance"
)

// Turnout lists, by kind, the turnout of the votes closed since since
// (votes that counted, proxies included, of the electorate), oldest
// first: what /rules calibrates each quorum on.
func (s *Service) Turnout(ctx context.Context, since time.Time) (map[governance.Kind][]governance.Turnout, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT kind, yes + no + abstain, electorate FROM proposals
		WHERE closed_at IS NOT NULL AND closed_at >= ? AND status IN ('passed', 'rejected', 'expired') ORDER BY closed_at, id`, since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read turnout: %w", err)
	}
	defer rows.Close()
	out := map[governance.Kind][]governance.Turnout{}
	for rows.Next() {
		var k string
		var t governance.Turnout
		if err := rows.Scan(&k, &t.Cast, &t.Electorate); err != nil {
			return nil, fmt.Errorf("read turnout: %w", err)
		}
		out[governance.Kind(k)] = append(out[governance.Kind(k)], t)
	}
	return out, rows.Err()
}
