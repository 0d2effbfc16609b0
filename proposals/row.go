package proposals

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coop/governance"
	"coop/raftdata"
)

// proposalRow is a proposal as stored, decoded.
type proposalRow struct {
	id, requester string
	draft         Draft
	status        Status
	reason        string
	rule          governance.VotingRule
	createdAt     time.Time
	openedAt      *time.Time
	deadline      time.Time
	closedAt      *time.Time
	electorate    int
	tally         Tally                // counted at the close
	participation int                  // votes that count so far (proxies included)
	colleges      []governance.College // fixed at opening; nil for one college
	proxyCap      int                  // fixed at opening; 0: no proxies
}

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

// rowColumns reads a proposal with its tally (the count stored at the
// close) and its participation (kept while the vote runs).
const rowColumns = `p.id, p.requester, p.definition, p.status, p.reason, p.rule, p.created_at, p.opened_at, p.deadline, p.closed_at, p.electorate,
	p.yes, p.no, p.abstain, COALESCE(t.participation, 0), p.colleges, p.proxy_cap, p.tally_extra`

const rowFrom = ` FROM proposals p LEFT JOIN proposals_tallies t ON t.proposal = p.id`

func loadRow(q queryer, id string) (proposalRow, error) {
	return scanRow(q.QueryRow(`SELECT `+rowColumns+rowFrom+` WHERE p.id = ?`, id), id)
}

type scanner interface{ Scan(dest ...any) error }

func scanRow(sc scanner, id string) (proposalRow, error) {
	var r proposalRow
	var def, status, rule, colleges, extra string
	var created int64
	var opened, deadline, closed sql.NullInt64
	err := sc.Scan(&r.id, &r.requester, &def, &status, &r.reason, &rule, &created, &opened, &deadline, &closed,
		&r.electorate, &r.tally.Yes, &r.tally.No, &r.tally.Abstain, &r.participation, &colleges, &r.proxyCap, &extra)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoProposal(id)
	}
	if err != nil {
		return r, fmt.Errorf("read proposal %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(def), &r.draft); err != nil {
		return r, fmt.Errorf("decode proposal %s: %w", r.id, err)
	}
	if rule != "" {
		if err := json.Unmarshal([]byte(rule), &r.rule); err != nil {
			return r, fmt.Errorf("decode rule of %s: %w", r.id, err)
		}
	}
	if colleges != "" {
		if err := json.Unmarshal([]byte(colleges), &r.colleges); err != nil {
			return r, fmt.Errorf("decode colleges of %s: %w", r.id, err)
		}
	}
	if extra != "" {
		if err := json.Unmarshal([]byte(extra), &r.tally); err != nil {
			return r, fmt.Errorf("decode tally of %s: %w", r.id, err)
		}
	}
	r.status = Status(status)
	r.tally.Electorate = r.electorate
	r.createdAt = time.Unix(0, created).UTC()
	r.openedAt = optTime(opened)
	if deadline.Valid {
		r.deadline = time.Unix(0, deadline.Int64).UTC()
	}
	r.closedAt = optTime(closed)
	return r, nil
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(0, v.Int64).UTC()
	return &t
}

// public turns a row into what anyone may read: the tally only once the
// vote is closed, the participation while it runs.
func (r proposalRow) public() Proposal {
	d := r.draft
	p := Proposal{
		ID: r.id, Requester: r.requester, Title: d.Title, Purpose: d.Purpose, Kind: d.Kind, Pool: d.Pool,
		Query: d.Query, Privacy: d.Privacy, VotingMinutes: d.VotingMinutes, GrantDays: d.GrantDays,
		Organisation: d.Organisation, RetentionDays: d.RetentionDays, Rules: d.Rules, Custodians: d.Custodians, Status: r.status, Reason: r.reason,
		CreatedAt: r.createdAt, OpenedAt: r.openedAt, ClosedAt: r.closedAt,
		Secret: r.rule.Secret, DoubleMajority: r.rule.DoubleMajority, ProxyCap: r.proxyCap, Colleges: r.colleges,
	}
	if r.openedAt != nil {
		dl := r.deadline
		p.Deadline = &dl
	}
	switch r.status {
	case StatusPassed, StatusRejected, StatusExpired:
		t := r.tally
		p.Tally = &t
	}
	return p
}

// errNoProposal refuses an id that names no proposal.
func errNoProposal(id string) error {
	return raftdata.Refuse(raftdata.CodeNotFound, "no_proposal", "no proposal %q", id)
}
