package proposals

import (
	"context"
	"fmt"
)

// ByRequester lists the proposals an account submitted (drafts included),
// newest first, with their grants: what a researcher follows.
func (s *Service) ByRequester(ctx context.Context, accountID string) ([]Proposal, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT `+rowColumns+rowFrom+
		` WHERE p.requester = ? ORDER BY p.created_at DESC, p.id DESC LIMIT ?`, accountID, PageSize)
	if err != nil {
		return nil, fmt.Errorf("list the proposals of %s: %w", accountID, err)
	}
	var raw []proposalRow
	for rows.Next() {
		r, err := scanRow(rows, "")
		if err != nil {
			rows.Close()
			return nil, err
		}
		raw = append(raw, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the proposals of %s: %w", accountID, err)
	}
	out := []Proposal{}
	for _, r := range raw {
		p, err := s.decorate(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
