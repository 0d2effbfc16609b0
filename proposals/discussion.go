package proposals

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"coop/members"
	"coop/raftdata"
)

// A proposal's discussion shows no author: each comment carries a
// pseudonym, the same for one author within a proposal and unrelated
// across proposals, shown alike to every reader (members, the requester,
// operators). It is an HMAC of the author's account id under a random key
// of the proposal, kept in the replicated state (so every node shows the
// same) and never served: knowing every account id, an operator reading
// the API cannot tell who wrote what.

// Comment adds to a proposal's discussion. The comment also carries a
// fresh random key, which fixes the proposal's pseudonym key if it has
// none yet.
func (s *Service) Comment(ctx context.Context, actor members.Account, id, body string) error {
	if err := requireActive(actor); err != nil {
		return err
	}
	_, err := s.store.Apply(ctx, cmdCommented, commentPayload{ID: raftdata.NewID(), Proposal: id, Author: actor.ID,
		Body: strings.TrimSpace(body), Key: raftdata.NewID()})
	return err
}

// Comment is one message of a discussion, as every reader sees it.
type Comment struct {
	// Pseudonym names the author within this proposal; "" for a comment
	// older than pseudonyms on a proposal no comment has been added to
	// since (its key is drawn by the next comment).
	Pseudonym string    `json:"pseudonym"`
	Requester bool      `json:"requester"` // written by the proposal's requester
	Mine      bool      `json:"mine"`      // written by the reader
	Body      string    `json:"body"`
	At        time.Time `json:"at"`
}

// Comments lists a proposal's discussion, oldest first, as reader (an
// account id) sees it.
func (s *Service) Comments(ctx context.Context, reader, id string) ([]Comment, error) {
	db := s.store.DB()
	var key string
	err := db.QueryRowContext(ctx, `SELECT key FROM proposals_comment_keys WHERE proposal = ?`, id).Scan(&key)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read the pseudonym key: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT author, requester, body, at FROM proposals_comments WHERE proposal = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		var author string
		var at int64
		if err := rows.Scan(&author, &c.Requester, &c.Body, &at); err != nil {
			return nil, err
		}
		c.Pseudonym, c.Mine = pseudonym(key, author), author == reader
		c.At = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// pseudonymAlphabet is Crockford's base 32: no I, L, O or U to misread.
const pseudonymAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// pseudonym is author's name in a discussion whose key is key: 5
// characters (25 bits) of HMAC-SHA256(key, author); "" without a key.
func pseudonym(key, author string) string {
	if key == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(author))
	sum := m.Sum(nil)
	var b [5]byte
	for i := range b {
		b[i] = pseudonymAlphabet[sum[i]%32]
	}
	return string(b[:])
}

// keepPseudonymKey stores key as the proposal's pseudonym key unless it
// has one. A comment of an older log carries no key and stores none.
func keepPseudonymKey(tx *raftdata.Tx, proposal, key string) error {
	if key == "" {
		return nil
	}
	if len(key) < 32 {
		return raftdata.Malformed("a comment's pseudonym key has at least 128 bits")
	}
	if _, err := tx.Exec(`INSERT INTO proposals_comment_keys(proposal, key) VALUES(?, ?) ON CONFLICT(proposal) DO NOTHING`, proposal, key); err != nil {
		return fmt.Errorf("keep the pseudonym key: %w", err)
	}
	return nil
}
