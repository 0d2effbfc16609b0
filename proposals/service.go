package proposals

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

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
	if _, err := s.store.Apply(ctx, cmdCreated, createdPayload{ID: id, Requester: actor.ID, Draft: d, Salt: raftdata.NewID(), Charters: members.CharterVersions()}); err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, id)
}

// Open starts the vote on a draft.
func (s *Service) Open(ctx context.Context, actor members.Account, id string) (Proposal, error) {
	if err := requireActive(actor); err != nil {
		return Proposal{}, err
	}
	if _, err := s.store.Apply(ctx, cmdOpened, openedPayload{ID: id, Actor: actor.ID, Salt: raftdata.NewID(), Charters: members.CharterVersions()}); err != nil {
		return Proposal{}, err
	}
	return s.Get(ctx, id)
}

// Get reads a proposal; an id this node lacks is looked for again after
// catching up with the leader.
func (s *Service) Get(ctx context.Context, id string) (Proposal, error) {
	row, err := loadRow(s.store.DB(), id)
	if raftdata.ErrorCode(err) == raftdata.CodeNotFound {
		if serr := s.store.Sync(ctx); serr == nil {
			row, err = loadRow(s.store.DB(), id)
		}
	}
	if err != nil {
		return Proposal{}, err
	}
	return s.decorate(row)
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

// Vote casts or replaces the member's ballot and returns its receipt. The
// receipt is shown once; the state keeps only its hash, published with the
// choice once the vote closes.
func (s *Service) Vote(ctx context.Context, actor members.Account, id, choice string) (string, error) {
	if err := requireActive(actor); err != nil {
		return "", err
	}
	choice = strings.ToLower(strings.TrimSpace(choice))
	if choice != ChoiceYes && choice != ChoiceNo && choice != ChoiceAbstain {
		return "", errChoice(choice)
	}
	receipt := raftdata.NewID()
	if _, err := s.store.Apply(ctx, cmdBallotCast, ballotPayload{Proposal: id, Account: actor.ID, Choice: choice, ReceiptHash: ReceiptHash(receipt)}); err != nil {
		return "", err
	}
	return receipt, nil
}

// ReceiptHash is what the published ballot list shows of a receipt.
func ReceiptHash(receipt string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(receipt)))
	return hex.EncodeToString(h[:])
}

// PublishedBallot is one line of the ballot list published at the close.
type PublishedBallot struct {
	ReceiptHash string `json:"receipt_hash"`
	Choice      string `json:"choice"`
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
	rows, err := s.store.DB().QueryContext(ctx, `SELECT receipt_hash, choice FROM proposals_ballots WHERE proposal = ? ORDER BY receipt_hash`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PublishedBallot{}
	for rows.Next() {
		var b PublishedBallot
		if err := rows.Scan(&b.ReceiptHash, &b.Choice); err != nil {
			return nil, err
		}
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
