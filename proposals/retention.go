package proposals

import (
	"time"

	"coop/governance"
	"coop/raftdata"
)

// Retention of a reuse grant's outputs. Each result of a reuse proposal is
// kept by the coop for the grant's retention_days (the rulebook's
// output_retention_days, or fewer if the proposal asked), counted from its
// run. Past it, the leader's closer deletes it from the state (and asks
// every node to compact, so its bytes leave the log and the WAL too) and
// journals the requester's obligation to delete their own copies
// (proposals_obligations, shown with the deleted run).

const cmdOutputsDeleted = "proposal.outputs_deleted"

const day = 24 * time.Hour

// retentionDays is how long a reuse grant keeps its results (0 for other
// kinds: a knowledge proposal's results are published and kept).
func retentionDays(tx *raftdata.Tx, d Draft) (int, error) {
	if d.Kind != governance.Reuse {
		return 0, nil
	}
	if d.RetentionDays > 0 {
		return d.RetentionDays, nil
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return 0, err
	}
	return rules.Retention.OutputRetention(), nil
}

type outputsDeletedPayload struct {
	ID string `json:"id"`
}

// applyOutputsDeleted deletes the results of a reuse grant past their
// retention (on the committed clock) and journals the requester's
// obligation for each.
func applyOutputsDeleted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p outputsDeletedPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	row, err := loadRow(tx, p.ID)
	if err != nil {
		return nil, err
	}
	g, err := grantIn(tx, p.ID)
	if err != nil {
		return nil, err
	}
	if g.RetentionDays <= 0 {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "results_kept", "the results of this grant are kept")
	}
	now := tx.Clock()
	due := now.Add(-time.Duration(g.RetentionDays) * day).UnixNano()
	runs, err := textColumn(tx.Query(`SELECT id FROM proposals_runs WHERE proposal = ? AND result <> '' AND deleted_at IS NULL AND at <= ?`, p.ID, due))
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "results_not_due", "no result of this grant is past its retention")
	}
	for _, run := range runs {
		if _, err := tx.Exec(`UPDATE proposals_runs SET result = '', deleted_at = ? WHERE id = ?`, now.UnixNano(), run); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`INSERT OR IGNORE INTO proposals_obligations(proposal, run, requester, organisation, at) VALUES(?,?,?,?,?)`,
			p.ID, run, row.requester, row.draft.Organisation, now.UnixNano()); err != nil {
			return nil, err
		}
	}
	tx.RequestCompaction()
	return nil, tx.Emit("coop.proposal.outputs_deleted", map[string]any{"proposal": p.ID, "runs": len(runs)})
}
