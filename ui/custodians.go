package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// Who holds the backups: the custodians the members elected
// (governance/custodians.go), as the API and the pages show them.

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

// custodiansView reads who holds the backups; names are looked up when
// withNames (a signed-in caller).
func (s *server) custodiansView(ctx context.Context, withNames bool) (CustodiansView, error) {
	st, err := s.deps.Rules.Custodians(ctx)
	if err != nil {
		return CustodiansView{}, err
	}
	v := CustodiansView{BackupsSealedTo: sealedToOperator}
	if st.Sealing != nil {
		v.BackupsSealedTo = sealedToCustodians
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
				acct, err := s.deps.Members.Get(ctx, c.Account)
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

// custodians answers GET /api/v1/governance/custodians: public; the
// custodians' names and keys for signed-in accounts only.
func (s *server) custodians(c *fiber.Ctx) error {
	_, logged := actor(c)
	v, err := s.custodiansView(c.UserContext(), logged)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// setCustodianKey answers PUT /api/v1/me/custodian-key {"public_key"}
// (members): a custodian of the newest set registers the age X25519
// public key `coop custodian keygen` printed on their own machine.
func (s *server) setCustodianKey(c *fiber.Ctx) error {
	a, err := requireRole(c, members.RoleMember)
	if err != nil {
		return err
	}
	var in struct {
		PublicKey string `json:"public_key"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.deps.Rules.RegisterCustodianKey(c.UserContext(), a.ID, in.PublicKey); err != nil {
		return err
	}
	v, err := s.custodiansView(c.UserContext(), true)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
