package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/proposals"
	"coop/raftdata"
)

// CustodianSeat is one custodian, as signed-in accounts see them.
type CustodianSeat struct {
	Account      string     `json:"account"`
	Name         string     `json:"name"` // empty once the account is erased
	Registered   bool       `json:"registered"`
	RegisteredAt *time.Time `json:"registered_at,omitempty"`
	PublicKey    string     `json:"public_key,omitempty"`
}

// CustodianSetView is an elected set. Anonymous visitors get the counts
// only; who the custodians are is for signed-in accounts.
type CustodianSetView struct {
	Version    int             `json:"version"`
	Threshold  int             `json:"threshold"`
	Size       int             `json:"size"`
	Registered int             `json:"registered"`
	ProposalID string          `json:"proposal"`
	ElectedAt  time.Time       `json:"elected_at"`
	Custodians []CustodianSeat `json:"custodians,omitempty"`
}

// CustodiansView answers GET /api/v1/governance/custodians.
type CustodiansView struct {
	// BackupsSealedTo is "operator" (the operator's key opens backups) or
	// "custodians" (any Sealing.Threshold of Sealing.Size custodians do).
	BackupsSealedTo string            `json:"backups_sealed_to"`
	Sealing         *CustodianSetView `json:"sealing,omitempty"`
	// Newest is the last set elected; when it differs from Sealing, it
	// waits for its custodians' keys.
	Newest *CustodianSetView `json:"newest,omitempty"`
}

// CustodiansView reads who holds the backups; names are looked up when
// withNames (a signed-in caller).
func (s *Server) CustodiansView(ctx context.Context, withNames bool) (CustodiansView, error) {
	st, err := s.Deps.Rules.Custodians(ctx)
	if err != nil {
		return CustodiansView{}, err
	}
	v := CustodiansView{BackupsSealedTo: SealedToOperator}
	if st.Sealing != nil {
		v.BackupsSealedTo = SealedToCustodians
	}
	names := map[string]string{}
	view := func(e *governance.ElectedSet) (*CustodianSetView, error) {
		if e == nil {
			return nil, nil
		}
		out := &CustodianSetView{Version: e.Version, Threshold: e.Threshold, Size: len(e.Custodians), Registered: e.Registered(),
			ProposalID: e.ProposalID, ElectedAt: e.ElectedAt}
		if !withNames {
			return out, nil
		}
		for _, c := range e.Custodians {
			name, ok := names[c.Account]
			if !ok {
				acct, err := s.Deps.Members.Get(ctx, c.Account)
				if err != nil && raftdata.ErrorCode(err) != raftdata.CodeNotFound {
					return nil, err
				}
				name, names[c.Account] = acct.Name, acct.Name
			}
			out.Custodians = append(out.Custodians, CustodianSeat{Account: c.Account, Name: name, Registered: c.PublicKey != "",
				RegisteredAt: c.RegisteredAt, PublicKey: c.PublicKey})
		}
		return out, nil
	}
	if v.Sealing, err = view(st.Sealing); err != nil {
		return v, err
	}
	if v.Newest, err = view(st.Newest); err != nil {
		return v, err
	}
	return v, nil
}

// turnoutWindow is how far back /rules reads the turnout of votes.
const turnoutWindow = 12

// Turnout is the turnout of each kind's votes over the last 12 months,
// read against its quorum.
type Turnout struct {
	Since time.Time                                  `json:"since"`
	Kinds map[governance.Kind]governance.Calibration `json:"kinds"`
}

// TurnoutOf reads the turnout of the last 12 months for every kind.
func (s *Server) TurnoutOf(c *fiber.Ctx) (Turnout, error) {
	ctx := c.UserContext()
	rules, err := s.Deps.Rules.Current(ctx)
	if err != nil {
		return Turnout{}, err
	}
	since := time.Now().UTC().AddDate(0, -turnoutWindow, 0)
	past, err := s.Deps.Proposals.Turnout(ctx, since)
	if err != nil {
		return Turnout{}, err
	}
	out := Turnout{Since: since, Kinds: map[governance.Kind]governance.Calibration{}}
	for _, k := range governance.Kinds {
		if rule, ok := rules.Rules.Rule(k); ok {
			out.Kinds[k] = governance.Calibrate(rule.QuorumPercent, past[k])
		}
	}
	return out, nil
}

// Eligibility tells the caller of GET /proposals/{id}, while its vote is
// open, whether they vote on it, and why not (proposals.Ineligibility).
type Eligibility struct {
	Votes  bool   `json:"votes"`
	Reason string `json:"reason,omitempty"`
}

// Ineligibility is proposals.Ineligibility for the visitor a: "" when a
// votes on prop.
func (s *Server) Ineligibility(ctx context.Context, a members.Account, prop proposals.Proposal) (string, error) {
	if a.ID == "" {
		return proposals.NotSignedIn, nil
	}
	in, err := s.Deps.Proposals.InElectorate(ctx, prop.ID, a.ID)
	if err != nil || in {
		return "", err
	}
	since, _, err := s.Deps.Members.MemberSince(ctx, a.ID)
	if err != nil {
		return "", err
	}
	return proposals.Ineligibility(a, prop, false, since), nil
}

// RemoveFromCluster takes node id out of the cluster's configuration for
// good (a machine lost or retired). The last node is kept: without it
// there is no cluster to hold the data.
func RemoveFromCluster(ctx context.Context, cl Cluster, id string) error {
	ctx, cancel := context.WithTimeout(ctx, ClusterTimeout)
	defer cancel()
	st, err := cl.Cluster(ctx)
	if err != nil {
		return err
	}
	if len(st.Nodes) == 1 && st.Nodes[0].ID == id {
		return raftdata.Refuse(raftdata.CodeConflict, "last_node", "%s is the last node of the cluster: it cannot be removed", id).With("node", id)
	}
	return cl.Remove(ctx, id)
}

// SandboxEpsilon reads the epsilon a sandbox answer shows the noise of:
// empty for none (the twin's exact figures).
func SandboxEpsilon(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	eps, err := strconv.ParseFloat(s, 64)
	if err != nil || !(eps > 0) {
		return 0, Invalid("epsilon_number", "epsilon must be a number above 0, got %q", s).With("value", s).On("epsilon")
	}
	return eps, nil
}

// ClusterTimeout bounds GET /api/v1/cluster; each unreachable peer already
// gives up after a second.
const ClusterTimeout = 5 * time.Second

// Sealing modes a backup answer names in X-Coop-Backup-Sealing.
const (
	SealedToOperator   = "operator"
	SealedToCustodians = "custodians"
)
