package governance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"coop/raftdata"
)

// Commands owned by governance.
const (
	cmdAdopted = "governance.rulebook_adopted" // the bootstrap rulebook
)

const schema = `
CREATE TABLE IF NOT EXISTS governance_rulebooks (
	version     INTEGER PRIMARY KEY,
	rules       TEXT NOT NULL,
	adopted_at  INTEGER NOT NULL,
	proposal_id TEXT NOT NULL DEFAULT ''
);`

// Register adds governance's table and commands to the store's registry.
func Register(reg *raftdata.Registry) {
	reg.Schema("governance", schema+custodianSchema)
	reg.Handle(cmdAdopted, applyAdopted)
	reg.Handle(cmdCustodianKey, applyCustodianKey)
}

type adoptPayload struct {
	Rules Rulebook `json:"rules"`
}

// applyAdopted stores the bootstrap rulebook if the cooperative has none;
// later rulebooks come only through Amend.
func applyAdopted(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p adoptPayload
	if err := cmd.Decode(&p); err != nil {
		return nil, raftdata.Malformed("%v", err)
	}
	if err := p.Rules.Validate(); err != nil {
		return nil, err
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM governance_rulebooks`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return false, nil
	}
	if err := insertRulebook(tx, 1, p.Rules, cmd, ""); err != nil {
		return nil, err
	}
	return true, nil
}

// Amend adopts a new rulebook inside the transaction of the command that
// closed a passed amendment proposal (the proposals package calls it).
func Amend(tx *raftdata.Tx, cmd raftdata.Command, rules Rulebook, proposalID string) error {
	if err := rules.Validate(); err != nil {
		return err
	}
	var version int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM governance_rulebooks`).Scan(&version); err != nil {
		return err
	}
	if err := insertRulebook(tx, version+1, rules, cmd, proposalID); err != nil {
		return err
	}
	return tx.Emit("coop.governance.amended", map[string]any{"version": version + 1, "proposal": proposalID})
}

func insertRulebook(tx *raftdata.Tx, version int, rules Rulebook, cmd raftdata.Command, proposalID string) error {
	data, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO governance_rulebooks(version, rules, adopted_at, proposal_id) VALUES(?,?,?,?)`,
		version, string(data), cmd.Time.UnixNano(), proposalID)
	return err
}

// CurrentIn reads the rulebook in force inside a handler's transaction.
func CurrentIn(tx *raftdata.Tx) (Rulebook, int, error) {
	return current(tx.QueryRow)
}

// Service reads and bootstraps the rulebook.
type Service struct {
	store *raftdata.Store
}

// New returns the governance service over store.
func New(store *raftdata.Store) *Service { return &Service{store: store} }

// Versioned is a rulebook with its version number, and the hard limits
// that bind it (read-only: set in code, never by a rulebook).
type Versioned struct {
	Version    int        `json:"version"`
	Rules      Rulebook   `json:"rules"`
	HardLimits HardLimits `json:"hard_limits"`
}

// Current returns the rulebook in force on this node; before bootstrap
// completes, the default rulebook as version 0.
func (s *Service) Current(ctx context.Context) (Versioned, error) {
	r, v, err := current(func(q string, args ...any) *sql.Row { return s.store.DB().QueryRowContext(ctx, q, args...) })
	if err != nil {
		return Versioned{}, err
	}
	return Versioned{Version: v, Rules: r, HardLimits: Limits()}, nil
}

func current(queryRow func(string, ...any) *sql.Row) (Rulebook, int, error) {
	var version int
	var data string
	err := queryRow(`SELECT version, rules FROM governance_rulebooks ORDER BY version DESC LIMIT 1`).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Default(), 0, nil
	}
	if err != nil {
		return Rulebook{}, 0, fmt.Errorf("read rulebook: %w", err)
	}
	var r Rulebook
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return Rulebook{}, 0, fmt.Errorf("decode rulebook %d: %w", version, err)
	}
	r.fillPrivacyDefaults() // a rulebook stored before these rules existed
	return r, version, nil
}

// Bootstrap adopts rules as the first rulebook if the cooperative has none
// (coop serve --rules FILE, or the default). It is idempotent: later calls,
// on any node, change nothing.
func (s *Service) Bootstrap(ctx context.Context, rules Rulebook) error {
	if _, err := s.store.Apply(ctx, cmdAdopted, adoptPayload{Rules: rules}); err != nil {
		return fmt.Errorf("adopt rulebook: %w", err)
	}
	return nil
}
