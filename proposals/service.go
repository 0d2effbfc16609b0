package proposals

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"coop/governance"
	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

// Service runs proposals over the replicated store.
type Service struct {
	store   *raftdata.Store
	pooling *pooling.Service
	now     func() time.Time
	logger  *slog.Logger
}

// Options of the service; zero values take defaults.
type Options struct {
	Now     func() time.Time // the clock of the closing loop (tests inject one)
	Logger  *slog.Logger
	Pooling *pooling.Service // for the synthetic twin of previews; default: its own
}

// New returns the proposals service.
func New(store *raftdata.Store, opts Options) *Service {
	s := &Service{store: store, pooling: opts.Pooling, now: opts.Now, logger: opts.Logger}
	if s.pooling == nil {
		s.pooling = pooling.New(store)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

func requireActive(actor members.Account) error {
	if actor.ID == "" {
		return raftdata.Refuse(raftdata.CodeUnauthorized, "log_in_first", "log in first")
	}
	if !actor.Active() {
		return members.ErrAccountInactive(actor.Status)
	}
	return nil
}

// Create submits a proposal; it opens at once unless d.Draft is set.
func (s *Service) Create(ctx context.Context, actor members.Account, d Draft) (Proposal, error) {
	if err := requireActive(actor); err != nil {
		return Proposal{}, err
	}
	id := raftdata.NewID()[:16]
	var setup *ballotSetup
	if !d.Draft {
		var err error
		if setup, err = s.ballotSetup(ctx, d.Kind); err != nil {
			return Proposal{}, err
		}
	}
	if _, err := s.store.Apply(ctx, cmdCreated, createdPayload{ID: id, Requester: actor.ID, Draft: d, Salt: raftdata.NewID(),
		Charters: members.CharterVersions(), Ballots: setup}); err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, id)
}

// ballotSetup is what an opening carries since proxies and secret
// ballots exist: for a kind the rulebook in force makes secret, a token
// key for each college, drawn here (never in a handler). The rulebook is
// read after catching up with the leader; if an amendment passes between
// this read and the opening, the opening is refused and can be tried
// again.
func (s *Service) ballotSetup(ctx context.Context, kind governance.Kind) (*ballotSetup, error) {
	if err := s.store.Sync(ctx); err != nil {
		return nil, err
	}
	v, err := governance.New(s.store).Current(ctx)
	if err != nil {
		return nil, err
	}
	setup := &ballotSetup{}
	if rule, ok := v.Rules.Rule(kind); ok && rule.Secret {
		if setup.TokenKeys, err = newTokenKeys(v.Rules.Colleges); err != nil {
			return nil, err
		}
	}
	return setup, nil
}

// Open starts the vote on a draft.
func (s *Service) Open(ctx context.Context, actor members.Account, id string) (Proposal, error) {
	if err := requireActive(actor); err != nil {
		return Proposal{}, err
	}
	p, err := s.Get(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	setup, err := s.ballotSetup(ctx, p.Kind)
	if err != nil {
		return Proposal{}, err
	}
	if _, err := s.store.Apply(ctx, cmdOpened, openedPayload{ID: id, Actor: actor.ID, Salt: raftdata.NewID(), Charters: members.CharterVersions(), Ballots: setup}); err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, id)
}

// Get reads a proposal; an id this node lacks is looked for again after
// catching up with the leader.
func (s *Service) Get(ctx context.Context, id string) (Proposal, error) {
	row, err := s.row(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	return s.decorate(row)
}

// row reads a proposal a client named from the local copy, catching up
// with the leader once when this node does not know it yet (the client
// may have created it through another node).
func (s *Service) row(ctx context.Context, id string) (proposalRow, error) {
	row, err := loadRow(s.store.DB(), id)
	if raftdata.ErrorCode(err) == raftdata.CodeNotFound {
		if serr := s.store.Sync(ctx); serr == nil {
			row, err = loadRow(s.store.DB(), id)
		}
	}
	return row, err
}

func (s *Service) decorate(row proposalRow) (Proposal, error) {
	p := row.public()
	if row.status == StatusOpen {
		n := row.participation
		p.Participation = &n
	}
	if row.status == StatusPassed || row.status == StatusExpired {
		if row.draft.Kind.UsesData() {
			g, err := grantIn(s.store.DB(), row.id)
			if err == nil {
				p.Grant = &g
			}
		}
	}
	return p, nil
}

// PageSize is how many proposals one page of the list holds.
const PageSize = 50

// pageQuery completes a SELECT over proposals (aliased p) into one page
// of PageSize, newest first, with status as a filter when given; it asks
// for one row more, which tells whether another page follows.
func pageQuery(sel, status string, page int) (string, []any) {
	var args []any
	if status != "" {
		sel += ` WHERE p.status = ?`
		args = append(args, status)
	}
	args = append(args, PageSize+1, (max(page, 1)-1)*PageSize)
	return sel + ` ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`, args
}

// List returns one page (from 1) of the proposals, newest first,
// optionally of one status, and whether older ones follow.
func (s *Service) List(ctx context.Context, status string, page int) ([]Proposal, bool, error) {
	q, args := pageQuery(`SELECT `+rowColumns+rowFrom, status, page)
	rows, err := s.store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list proposals: %w", err)
	}
	var raw []proposalRow
	for rows.Next() {
		r, err := scanRow(rows, "")
		if err != nil {
			rows.Close()
			return nil, false, err
		}
		raw = append(raw, r)
	}
	rows.Close()
	more := len(raw) > PageSize
	if more {
		raw = raw[:PageSize]
	}
	out := []Proposal{}
	for _, r := range raw {
		p, err := s.decorate(r)
		if err != nil {
			return nil, false, err
		}
		out = append(out, p)
	}
	return out, more, nil
}

// Vote casts or replaces the member's ballot and returns its receipt.
func (s *Service) Vote(ctx context.Context, actor members.Account, id, choice string) (string, error) {
	r, err := s.Cast(ctx, actor, id, choice)
	return r.Receipt, err
}

// Receipt is what a ballot answers: the receipt, shown once (the state
// keeps only its hash, published with the choice once the vote closes),
// and how many givers' votes the ballot carries now; the published list
// shows their lines with this receipt's hash as the holder's.
type Receipt struct {
	Receipt     string `json:"receipt"`
	ReceiptHash string `json:"receipt_hash"`
	Carries     int    `json:"carries"`
}

// Cast casts or replaces the member's ballot on an open (not secret) vote.
func (s *Service) Cast(ctx context.Context, actor members.Account, id, choice string) (Receipt, error) {
	if err := requireActive(actor); err != nil {
		return Receipt{}, err
	}
	choice = strings.ToLower(strings.TrimSpace(choice))
	if err := checkChoice(choice); err != nil {
		return Receipt{}, err
	}
	receipt := raftdata.NewID()
	raw, err := s.store.Apply(ctx, cmdBallotCast, ballotPayload{Proposal: id, Account: actor.ID, Choice: choice, ReceiptHash: ReceiptHash(receipt)})
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{Receipt: receipt, ReceiptHash: ReceiptHash(receipt)}
	if len(raw) > 0 && string(raw) != "null" {
		var res ballotResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return Receipt{}, err
		}
		r.Carries = res.Carries
	}
	return r, nil
}

// ReceiptHash is what the published ballot list shows of a receipt.
func ReceiptHash(receipt string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(receipt)))
	return hex.EncodeToString(h[:])
}

// PublishedBallot is one line of the ballot list published at the close.
// A line written for a member whose proxy holder voted for them says so
// and carries the holder's receipt hash. A secret vote's line is named by
// its token's pseudonym and carries the token, which anyone checks with
// the vote's public key (SecretList).
type PublishedBallot struct {
	ReceiptHash       string          `json:"receipt_hash"`
	Choice            string          `json:"choice"`
	College           string          `json:"college,omitempty"`
	Proxy             bool            `json:"proxy,omitempty"`
	HolderReceiptHash string          `json:"holder_receipt_hash,omitempty"`
	Pseudonym         string          `json:"pseudonym,omitempty"`
	Token             *PublishedToken `json:"token,omitempty"`
}

// Ballots is the pseudonymous list of ballots of a closed vote, from which
// anyone can recount the tally and each voter can find their receipt.
func (s *Service) Ballots(ctx context.Context, id string) ([]PublishedBallot, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Status == StatusDraft || p.Status == StatusOpen {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "ballots_unpublished", "the ballot list is published when the vote closes")
	}
	if p.Secret {
		return s.secretBallots(ctx, id)
	}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT b.receipt_hash, b.choice, COALESCE(e.college, ''), b.holder_receipt_hash FROM proposals_ballots b
		LEFT JOIN proposals_electorate e ON e.proposal = b.proposal AND e.voter_key = b.voter_key
		WHERE b.proposal = ? ORDER BY b.receipt_hash`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PublishedBallot{}
	for rows.Next() {
		var b PublishedBallot
		if err := rows.Scan(&b.ReceiptHash, &b.Choice, &b.College, &b.HolderReceiptHash); err != nil {
			return nil, err
		}
		b.Proxy = b.HolderReceiptHash != ""
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Service) secretBallots(ctx context.Context, id string) ([]PublishedBallot, error) {
	rows, err := s.store.DB().QueryContext(ctx, `SELECT pseudonym, receipt_hash, choice, college, ballot_key, signature, proof, seq
		FROM proposals_secret_ballots WHERE proposal = ? ORDER BY pseudonym`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PublishedBallot{}
	for rows.Next() {
		var b PublishedBallot
		t := &PublishedToken{}
		if err := rows.Scan(&b.Pseudonym, &b.ReceiptHash, &b.Choice, &b.College, &t.BallotKey, &t.Signature, &t.Proof, &t.Seq); err != nil {
			return nil, err
		}
		b.Token = t
		out = append(out, b)
	}
	return out, rows.Err()
}

// Object excludes (or includes again) the member's data from a proposal's
// grant: the GDPR right to object, whatever the vote said.
func (s *Service) Object(ctx context.Context, actor members.Account, id string, object bool) error {
	if err := requireActive(actor); err != nil {
		return err
	}
	_, err := s.store.Apply(ctx, cmdObjected, objectionPayload{Proposal: id, Account: actor.ID, Object: object})
	return err
}
