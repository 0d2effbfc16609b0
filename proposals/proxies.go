package proposals

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// Proxies ("pouvoirs"): a member gives their vote on one open ballot, or
// on every open ballot until revoked (a standing proxy), to another member
// of the electorate. The holder's own ballot then counts for them too,
// unless they vote themselves (their ballot overrides the proxy until the
// close). A holder carries at most the rulebook's proxies.max_per_holder
// on a vote; a proxy is never passed on; secret ballots take none. See
// governance.Resolve for the count.

// Commands of proxies.
const (
	cmdProxySet         = "proposal.proxy_set"
	cmdStandingProxySet = "proposal.standing_proxy_set"
)

// proxyPayload is the payload of cmdProxySet: Giver gives their vote on
// Proposal to Holder ("" takes it back). ReceiptKey is drawn by the
// proposing node.
type proxyPayload struct {
	Proposal   string `json:"proposal"`
	Giver      string `json:"giver"`
	Holder     string `json:"holder"`
	ReceiptKey string `json:"receipt_key"`
}

// standingPayload is the payload of cmdStandingProxySet: Giver's vote
// goes to Holder on every open ballot ("" revokes).
type standingPayload struct {
	Giver      string `json:"giver"`
	Holder     string `json:"holder"`
	ReceiptKey string `json:"receipt_key"`
}

// electorKeyIn is the voter key of account in a vote's electorate, "" when
// not in it.
func electorKeyIn(tx *raftdata.Tx, proposal, account string) (string, error) {
	var key string
	err := tx.QueryRow(`SELECT voter_key FROM proposals_electorate WHERE proposal = ? AND account_id = ?`, proposal, account).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return key, err
}

// carriedIn counts the proxies holder carries on a vote, giver's own
// excepted.
func carriedIn(tx *raftdata.Tx, proposal, holderKey, giverKey string) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM proposals_proxies WHERE proposal = ? AND holder_key = ? AND giver_key <> ?`, proposal, holderKey, giverKey).Scan(&n)
	return n, err
}

// openForProxiesIn checks that a vote takes proxies now.
func openForProxiesIn(tx *raftdata.Tx, cmd raftdata.Command, row proposalRow) error {
	switch {
	case row.status != StatusOpen || !cmd.Time.Before(row.deadline):
		return raftdata.Refuse(raftdata.CodeConflict, "vote_closed", "the vote on this proposal is closed: proxies apply to open votes only")
	case row.rule.Secret:
		return raftdata.Refuse(raftdata.CodeConflict, "proxy_secret", "this vote is secret: proxies apply to open ballots only (a proxy would tie a member to a ballot)")
	case row.proxyCap == 0:
		return raftdata.Refuse(raftdata.CodeConflict, "proxy_none", "this vote takes no proxies (the rulebook's proxies.max_per_holder was 0 when it opened)")
	}
	return nil
}

func applyProxySet(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p proxyPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if len(p.ReceiptKey) < 16 {
		return nil, raftdata.Malformed("a proxy needs a random receipt key")
	}
	row, err := loadRow(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	if err := openForProxiesIn(tx, cmd, row); err != nil {
		return nil, err
	}
	giver, err := electorKeyIn(tx, p.Proposal, p.Giver)
	if err != nil {
		return nil, err
	}
	if giver == "" {
		return nil, errNotInElectorate()
	}
	holder := ""
	if p.Holder != "" {
		if p.Holder == p.Giver {
			return nil, raftdata.Refuse(raftdata.CodeInvalid, "proxy_self", "a proxy goes to another member: to vote yourself, cast your ballot").On("to")
		}
		if holder, err = electorKeyIn(tx, p.Proposal, p.Holder); err != nil {
			return nil, err
		}
		if holder == "" {
			return nil, raftdata.Refuse(raftdata.CodeInvalid, "proxy_electorate", "this member is not in the electorate of the proposal (fixed when it opened): they cannot carry your vote").On("to")
		}
		n, err := carriedIn(tx, p.Proposal, holder, giver)
		if err != nil {
			return nil, err
		}
		if n >= row.proxyCap {
			return nil, raftdata.Refuse(raftdata.CodeConflict, "proxy_cap", "this member carries %d proxies on this vote already: the rulebook allows %d", n, row.proxyCap).
				With("count", n).With("max", row.proxyCap).On("to")
		}
	}
	// Taking one's vote back is a row too (holder ''): it keeps a
	// standing proxy off this vote.
	if _, err := tx.Exec(`INSERT INTO proposals_proxies(proposal, giver_key, holder_key, receipt_key, standing, at) VALUES(?,?,?,?,0,?)
		ON CONFLICT(proposal, giver_key) DO UPDATE SET holder_key = excluded.holder_key, receipt_key = excluded.receipt_key, standing = 0, at = excluded.at`,
		p.Proposal, giver, holder, p.ReceiptKey, cmd.Time.UnixNano()); err != nil {
		return nil, fmt.Errorf("set proxy: %w", err)
	}
	return nil, setParticipationIn(tx, cmd, row, "coop.proposal.proxy_changed")
}

func applyStandingProxySet(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p standingPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	giver, err := members.LookupIn(tx, p.Giver, nil)
	if err != nil {
		return nil, err
	}
	if !giver.Active() || !giver.Admitted {
		return nil, raftdata.Refuse(raftdata.CodeForbidden, "proxy_by_members", "proxies are given by admitted members")
	}
	if p.Holder == "" {
		if _, err := tx.Exec(`DELETE FROM proposals_standing_proxies WHERE giver = ?`, p.Giver); err != nil {
			return nil, err
		}
		return nil, standingOnOpenVotesIn(tx, cmd, p)
	}
	if len(p.ReceiptKey) < 16 {
		return nil, raftdata.Malformed("a proxy needs a random receipt key")
	}
	if p.Holder == p.Giver {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "proxy_self", "a proxy goes to another member").On("to")
	}
	holder, err := members.LookupIn(tx, p.Holder, nil)
	if raftdata.ErrorCode(err) == raftdata.CodeNotFound || err == nil && (!holder.Active() || !holder.Admitted) {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "proxy_holder_member", "a proxy goes to an admitted, active member").On("to")
	}
	if err != nil {
		return nil, err
	}
	rules, _, err := governance.CurrentIn(tx)
	if err != nil {
		return nil, err
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM proposals_standing_proxies WHERE holder = ? AND giver <> ?`, p.Holder, p.Giver).Scan(&n); err != nil {
		return nil, err
	}
	if cap := rules.Proxies.MaxPerHolder; n >= cap {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "standing_proxy_cap", "this member carries %d standing proxies already: the rulebook allows %d", n, cap).
			With("count", n).With("max", cap).On("to")
	}
	if _, err := tx.Exec(`INSERT INTO proposals_standing_proxies(giver, holder, receipt_key, at) VALUES(?,?,?,?)
		ON CONFLICT(giver) DO UPDATE SET holder = excluded.holder, receipt_key = excluded.receipt_key, at = excluded.at`,
		p.Giver, p.Holder, p.ReceiptKey, cmd.Time.UnixNano()); err != nil {
		return nil, err
	}
	return nil, standingOnOpenVotesIn(tx, cmd, p)
}

// standingOnOpenVotesIn carries a standing proxy's change to every vote
// open now that takes proxies and has the giver in its electorate: the
// rows that came from the standing proxy follow it; a proxy the giver set
// on one vote stays. Where the holder is not in the electorate, or carries
// the cap already, the standing proxy does not apply.
func standingOnOpenVotesIn(tx *raftdata.Tx, cmd raftdata.Command, p standingPayload) error {
	rows, err := tx.Query(`SELECT e.proposal, e.voter_key FROM proposals_electorate e JOIN proposals pr ON pr.id = e.proposal
		WHERE e.account_id = ? AND pr.status = 'open' AND pr.proxy_cap > 0 AND pr.deadline > ? ORDER BY e.proposal`, p.Giver, cmd.Time.UnixNano())
	if err != nil {
		return err
	}
	type vote struct{ id, giver string }
	var votes []vote
	for rows.Next() {
		var v vote
		if err := rows.Scan(&v.id, &v.giver); err != nil {
			rows.Close()
			return err
		}
		votes = append(votes, v)
	}
	rows.Close()
	for _, v := range votes {
		var standing bool
		err := tx.QueryRow(`SELECT standing FROM proposals_proxies WHERE proposal = ? AND giver_key = ?`, v.id, v.giver).Scan(&standing)
		if err == nil && !standing {
			continue // the giver's own choice on this vote
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		row, err := loadRow(tx, v.id)
		if err != nil {
			return err
		}
		holder := ""
		if p.Holder != "" {
			if holder, err = electorKeyIn(tx, v.id, p.Holder); err != nil {
				return err
			}
			if holder != "" {
				if n, err := carriedIn(tx, v.id, holder, v.giver); err != nil {
					return err
				} else if n >= row.proxyCap {
					holder = ""
				}
			}
		}
		if holder == "" {
			_, err = tx.Exec(`DELETE FROM proposals_proxies WHERE proposal = ? AND giver_key = ? AND standing = 1`, v.id, v.giver)
		} else {
			_, err = tx.Exec(`INSERT INTO proposals_proxies(proposal, giver_key, holder_key, receipt_key, standing, at) VALUES(?,?,?,?,1,?)
				ON CONFLICT(proposal, giver_key) DO UPDATE SET holder_key = excluded.holder_key, receipt_key = excluded.receipt_key, at = excluded.at`,
				v.id, v.giver, holder, p.ReceiptKey, cmd.Time.UnixNano())
		}
		if err != nil {
			return fmt.Errorf("carry a standing proxy: %w", err)
		}
		if err := setParticipationIn(tx, cmd, row, "coop.proposal.proxy_changed"); err != nil {
			return err
		}
	}
	return nil
}

// standingProxiesAtOpeningIn makes the standing proxies of a vote's
// electorate its own when it opens, the oldest first, as long as the
// holder is in the electorate and under the cap.
func standingProxiesAtOpeningIn(tx *raftdata.Tx, cmd raftdata.Command, id string, keys map[string]string, cap int) error {
	rows, err := tx.Query(`SELECT giver, holder, receipt_key FROM proposals_standing_proxies ORDER BY at, giver`)
	if err != nil {
		return err
	}
	type standing struct{ giver, holder, key string }
	var all []standing
	for rows.Next() {
		var s standing
		if err := rows.Scan(&s.giver, &s.holder, &s.key); err != nil {
			rows.Close()
			return err
		}
		all = append(all, s)
	}
	rows.Close()
	carried := map[string]int{}
	for _, s := range all {
		g, h := keys[s.giver], keys[s.holder]
		if g == "" || h == "" || carried[h] >= cap {
			continue
		}
		carried[h]++
		if _, err := tx.Exec(`INSERT INTO proposals_proxies(proposal, giver_key, holder_key, receipt_key, standing, at) VALUES(?,?,?,?,1,?)`,
			id, g, h, s.key, cmd.Time.UnixNano()); err != nil {
			return fmt.Errorf("carry a standing proxy: %w", err)
		}
	}
	return nil
}

// ---- the service ----

// ProxyGiven is what a giver learns of their proxy on a vote: who carries
// it, and the receipt of the line the holder's ballot will write for them.
type ProxyGiven struct {
	To       string `json:"to"`
	ToName   string `json:"to_name"`
	Standing bool   `json:"standing"` // it comes from the giver's standing proxy
	Receipt  string `json:"receipt"`
}

// ProxyHeld is a giver whose vote a member carries.
type ProxyHeld struct {
	From     string `json:"from"`
	FromName string `json:"from_name"`
	Voted    bool   `json:"voted"` // the giver voted themselves: their ballot counts, not the proxy
}

// ProxyView is a member's proxies on one vote.
type ProxyView struct {
	Proposal string      `json:"proposal"`
	Elector  bool        `json:"elector"` // the member is in the vote's electorate
	Cap      int         `json:"cap"`     // 0: the vote takes no proxies
	Given    *ProxyGiven `json:"given"`
	Held     []ProxyHeld `json:"held"`
}

// GiveProxy gives the member's vote on an open ballot to another member
// of its electorate ("" takes it back), and returns the view it leaves.
func (s *Service) GiveProxy(ctx context.Context, actor members.Account, id, to string) (ProxyView, error) {
	if err := requireActive(actor); err != nil {
		return ProxyView{}, err
	}
	if _, err := s.store.Apply(ctx, cmdProxySet, proxyPayload{Proposal: id, Giver: actor.ID, Holder: to, ReceiptKey: raftdata.NewID()}); err != nil {
		return ProxyView{}, err
	}
	if err := s.store.Sync(ctx); err != nil {
		return ProxyView{}, err
	}
	return s.Proxies(ctx, actor, id)
}

// Proxies tells the member how their vote and the votes they carry stand
// on one proposal.
func (s *Service) Proxies(ctx context.Context, actor members.Account, id string) (ProxyView, error) {
	row, err := s.row(ctx, id)
	if err != nil {
		return ProxyView{}, err
	}
	v := ProxyView{Proposal: id, Cap: row.proxyCap, Held: []ProxyHeld{}}
	db := s.store.DB()
	var key string
	err = db.QueryRowContext(ctx, `SELECT voter_key FROM proposals_electorate WHERE proposal = ? AND account_id = ?`, id, actor.ID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return v, nil
	}
	if err != nil {
		return ProxyView{}, err
	}
	v.Elector = true
	var g ProxyGiven
	var rkey string
	err = db.QueryRowContext(ctx, `SELECT COALESCE(e.account_id, ''), x.standing, x.receipt_key FROM proposals_proxies x
		JOIN proposals_electorate e ON e.proposal = x.proposal AND e.voter_key = x.holder_key
		WHERE x.proposal = ? AND x.giver_key = ? AND x.holder_key <> ''`, id, key).Scan(&g.To, &g.Standing, &rkey)
	switch {
	case err == nil:
		g.Receipt = ProxyReceipt(rkey, id)
		v.Given = &g
	case !errors.Is(err, sql.ErrNoRows):
		return ProxyView{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT COALESCE(e.account_id, ''),
			EXISTS (SELECT 1 FROM proposals_ballots b WHERE b.proposal = x.proposal AND b.voter_key = x.giver_key AND b.holder_receipt_hash = '')
		FROM proposals_proxies x JOIN proposals_electorate e ON e.proposal = x.proposal AND e.voter_key = x.giver_key
		WHERE x.proposal = ? AND x.holder_key = ? ORDER BY e.voter_key`, id, key)
	if err != nil {
		return ProxyView{}, err
	}
	for rows.Next() {
		var h ProxyHeld
		if err := rows.Scan(&h.From, &h.Voted); err != nil {
			rows.Close()
			return ProxyView{}, err
		}
		v.Held = append(v.Held, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ProxyView{}, err
	}
	return v, s.name(ctx, v.Given, v.Held)
}

// name fills the names of a proxy's holder and of the givers a member
// carries (an erased account has none).
func (s *Service) name(ctx context.Context, given *ProxyGiven, held []ProxyHeld) error {
	ids := make([]string, 0, len(held)+1)
	if given != nil {
		ids = append(ids, given.To)
	}
	for _, h := range held {
		ids = append(ids, h.From)
	}
	names, err := members.NamesOf(ctx, s.store.DB(), ids)
	if err != nil {
		return err
	}
	if given != nil {
		given.ToName = names[given.To]
	}
	for i := range held {
		held[i].FromName = names[held[i].From]
	}
	return nil
}

// StandingProxy is a member's standing proxy and the standing proxies they
// carry.
type StandingProxy struct {
	To     string      `json:"to,omitempty"`
	ToName string      `json:"to_name,omitempty"`
	Since  *time.Time  `json:"since,omitempty"`
	Cap    int         `json:"cap"`
	Held   []ProxyHeld `json:"held"`
}

// SetStandingProxy gives the member's vote on every open ballot to
// another admitted member until revoked ("" revokes).
func (s *Service) SetStandingProxy(ctx context.Context, actor members.Account, to string) (StandingProxy, error) {
	if err := requireActive(actor); err != nil {
		return StandingProxy{}, err
	}
	if _, err := s.store.Apply(ctx, cmdStandingProxySet, standingPayload{Giver: actor.ID, Holder: to, ReceiptKey: raftdata.NewID()}); err != nil {
		return StandingProxy{}, err
	}
	if err := s.store.Sync(ctx); err != nil {
		return StandingProxy{}, err
	}
	return s.Standing(ctx, actor)
}

// Standing reads the member's standing proxy and those they carry.
func (s *Service) Standing(ctx context.Context, actor members.Account) (StandingProxy, error) {
	db := s.store.DB()
	out := StandingProxy{Held: []ProxyHeld{}}
	rules, err := governance.New(s.store).Current(ctx)
	if err != nil {
		return out, err
	}
	out.Cap = rules.Rules.Proxies.MaxPerHolder
	var at int64
	err = db.QueryRowContext(ctx, `SELECT holder, at FROM proposals_standing_proxies WHERE giver = ?`, actor.ID).Scan(&out.To, &at)
	switch {
	case err == nil:
		since := time.Unix(0, at).UTC()
		out.Since = &since
	case !errors.Is(err, sql.ErrNoRows):
		return out, err
	}
	rows, err := db.QueryContext(ctx, `SELECT giver FROM proposals_standing_proxies WHERE holder = ? ORDER BY at, giver`, actor.ID)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var h ProxyHeld
		if err := rows.Scan(&h.From); err != nil {
			rows.Close()
			return out, err
		}
		out.Held = append(out.Held, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	var given *ProxyGiven
	if out.To != "" {
		given = &ProxyGiven{To: out.To}
	}
	if err := s.name(ctx, given, out.Held); err != nil {
		return out, err
	}
	if given != nil {
		out.ToName = given.ToName
	}
	return out, nil
}
