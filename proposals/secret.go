package proposals

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// Secret ballots (DESIGN.md): a member, signed in, takes one voting token
// per secret vote (cmdTokenIssued records only that they took it), then
// casts and replaces their ballot with it in a request that names no one
// (cmdSecretBallotCast). The vote's RSA key, one per college, lives in the
// replicated state until the close.

// Commands of secret ballots.
const (
	cmdTokenIssued      = "proposal.token_issued"
	cmdSecretBallotCast = "proposal.secret_ballot_cast"
)

// TokenKeyBits is the size of a vote's RSA key.
const TokenKeyBits = 2048

// tokenPayload is the payload of cmdTokenIssued: the account, and the
// blinded message whose signature it asks for (which tells nothing of the
// token it becomes).
type tokenPayload struct {
	Proposal string `json:"proposal"`
	Account  string `json:"account"`
	Blinded  string `json:"blinded"` // base64
}

// secretBallotPayload is the payload of cmdSecretBallotCast: the ballot as
// the voter signed it, and nothing else.
type secretBallotPayload struct {
	Proposal string `json:"proposal"`
	SecretBallot
}

// secretVote is what a secret ballot needs in memory besides openVote: the
// vote's public keys, and by college the tokens issued and the ballots
// cast (a new ballot beyond the tokens issued is a forged token).
type secretVote struct {
	keys   map[string]*rsa.PublicKey
	issued map[string]int
	cast   map[string]int
}

func errForgedToken() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "token_forged", "this voting token was not signed by this vote's key for this college: it is not a token of this vote")
}

func errBadProof() error {
	return raftdata.Refuse(raftdata.CodeForbidden, "ballot_proof", "the ballot's proof was not made by its token's ballot key")
}

// newTokenKeys draws a vote's RSA keys, one per college ("" with one).
func newTokenKeys(colleges []governance.College) (map[string]string, error) {
	names := []string{""}
	if len(colleges) >= 2 {
		names = names[:0]
		for _, c := range colleges {
			names = append(names, c.Name)
		}
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		k, err := rsa.GenerateKey(rand.Reader, TokenKeyBits)
		if err != nil {
			return nil, fmt.Errorf("draw a token key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		out[n] = base64.StdEncoding.EncodeToString(der)
	}
	return out, nil
}

func parsePrivateKey(b64 string) (*rsa.PrivateKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < TokenKeyBits {
		return nil, errors.New("not an RSA key of 2048 bits or more")
	}
	return rk, nil
}

// storeTokenKeysIn keeps a secret vote's keys, one for each of its
// colleges: a key missing means the proposing node read another rulebook
// (an amendment passed meanwhile), and the opening is refused.
func storeTokenKeysIn(tx *raftdata.Tx, id string, colleges []governance.College, keys map[string]string) error {
	names := []string{""}
	if colleges != nil {
		names = names[:0]
		for _, c := range colleges {
			names = append(names, c.Name)
		}
	}
	for _, n := range names {
		k, err := parsePrivateKey(keys[n])
		if err != nil {
			return raftdata.Refuse(raftdata.CodeConflict, "rulebook_changed", "the rulebook changed while the vote opened (no token key for college %q): open it again", n).With("college", n)
		}
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO proposals_token_keys(proposal, college, public_key, private_key) VALUES(?,?,?,?)`,
			id, n, base64.StdEncoding.EncodeToString(pub), keys[n]); err != nil {
			return err
		}
	}
	return nil
}

// loadSecret reads a secret vote's keys and counts into v, once.
func (o *openVotes) loadSecret(tx *raftdata.Tx, v *openVote, proposal string) (*secretVote, error) {
	o.mu.Lock()
	sv := v.secret
	o.mu.Unlock()
	if sv != nil {
		return sv, nil
	}
	sv = &secretVote{keys: map[string]*rsa.PublicKey{}, issued: map[string]int{}, cast: map[string]int{}}
	rows, err := tx.Query(`SELECT college, public_key FROM proposals_token_keys WHERE proposal = ?`, proposal)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var college, pub string
		if err := rows.Scan(&college, &pub); err != nil {
			rows.Close()
			return nil, err
		}
		if sv.keys[college], err = ParseTokenKey(pub); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	for q, into := range map[string]map[string]int{
		`SELECT e.college, COUNT(*) FROM proposals_tokens_issued t JOIN proposals_electorate e ON e.proposal = t.proposal AND e.voter_key = t.voter_key
			WHERE t.proposal = ? GROUP BY e.college`: sv.issued,
		`SELECT college, COUNT(*) FROM proposals_secret_ballots WHERE proposal = ? GROUP BY college`: sv.cast,
	} {
		if err := countInto(tx, q, proposal, into); err != nil {
			return nil, err
		}
	}
	o.mu.Lock()
	v.secret = sv
	o.mu.Unlock()
	return sv, nil
}

func countInto(tx *raftdata.Tx, q, proposal string, into map[string]int) error {
	rows, err := tx.Query(q, proposal)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		into[k] = n
	}
	return rows.Err()
}

// tokenResult is what cmdTokenIssued answers: the blind signature.
type tokenResult struct {
	BlindSignature string `json:"blind_signature"`
}

// applyTokenIssued signs a member's blinded token, once: a second request
// with the same blinded message (a retry whose answer was lost) gets the
// same signature again; another blinded message is refused. The signature
// is the same on every node (RSA signing is deterministic; the randomness
// circl draws only blinds the computation against timing).
func (o *openVotes) applyTokenIssued(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p tokenPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	blinded, err := base64.StdEncoding.DecodeString(p.Blinded)
	if err != nil || len(blinded) == 0 {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "blinded_invalid", "blinded is the blinded message, base64").On("blinded")
	}
	v, who, err := o.lookup(tx, p.Proposal, p.Account)
	if err != nil {
		return nil, err
	}
	if !cmd.Time.Before(v.deadline) {
		return nil, errVoteClosed()
	}
	if who.key == "" {
		return nil, errNotInElectorate()
	}
	if !v.rule.Secret {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "not_secret", "this vote is not secret: cast your ballot as yourself")
	}
	sum := sha256.Sum256(blinded)
	hash := hex.EncodeToString(sum[:])
	var taken string
	err = tx.QueryRow(`SELECT blinded_hash FROM proposals_tokens_issued WHERE proposal = ? AND voter_key = ?`, p.Proposal, who.key).Scan(&taken)
	switch {
	case err == nil && taken != hash:
		return nil, raftdata.Refuse(raftdata.CodeConflict, "token_taken", "you took your voting token for this vote already: one each (it is in the browser or the file where you kept it)")
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	var priv string
	if err := tx.QueryRow(`SELECT private_key FROM proposals_token_keys WHERE proposal = ? AND college = ?`, p.Proposal, who.college).Scan(&priv); err != nil {
		return nil, fmt.Errorf("read the token key: %w", err)
	}
	key, err := parsePrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("token key of %s: %w", p.Proposal, err)
	}
	sig, err := blindrsa.NewSigner(key).BlindSign(blinded)
	if err != nil {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "blinded_wrong_key", "the blinded message does not fit this vote's key: %v", err).On("blinded")
	}
	if taken == "" {
		sv, err := o.loadSecret(tx, v, p.Proposal)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`INSERT INTO proposals_tokens_issued(proposal, voter_key, blinded_hash) VALUES(?,?,?)`, p.Proposal, who.key, hash); err != nil {
			return nil, err
		}
		o.mu.Lock()
		sv.issued[who.college]++
		o.mu.Unlock()
	}
	return tokenResult{BlindSignature: base64.StdEncoding.EncodeToString(sig)}, nil
}

// SecretReceipt is what a secret ballot answers.
type SecretReceipt struct {
	Pseudonym   string `json:"pseudonym"`
	ReceiptHash string `json:"receipt_hash"`
	Seq         int    `json:"seq"`
}

// applySecretBallotCast records or replaces a ballot cast with a token.
// Nothing in it names a member. A replacement carries a greater seq; the
// same ballot again (a retry) changes nothing; a new token beyond the
// tokens issued in its college is refused: a forged token.
func (o *openVotes) applySecretBallotCast(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p secretBallotPayload
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if err := checkChoice(p.Choice); err != nil {
		return nil, err
	}
	if p.Seq < 1 || len(p.ReceiptHash) != 64 {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "secret_ballot_seq", "a secret ballot carries seq (1 or more) and the SHA-256 of its receipt (64 hex digits)")
	}
	v, err := o.vote(tx, p.Proposal)
	if err != nil {
		return nil, err
	}
	if !cmd.Time.Before(v.deadline) {
		return nil, errVoteClosed()
	}
	if !v.rule.Secret {
		return nil, raftdata.Refuse(raftdata.CodeConflict, "not_secret", "this vote is not secret: members cast their ballot as themselves")
	}
	sv, err := o.loadSecret(tx, v, p.Proposal)
	if err != nil {
		return nil, err
	}
	pub, ok := sv.keys[p.College]
	if !ok {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "vote_college", "this vote has no college %q", p.College).With("college", p.College).On("college")
	}
	msg, err := verifyBallot(p.Proposal, pub, p.SecretBallot)
	if err != nil {
		return nil, err
	}
	pseudonym := Pseudonym(msg)
	res := SecretReceipt{Pseudonym: pseudonym, ReceiptHash: p.ReceiptHash, Seq: p.Seq}
	var seq int
	var choice, receipt string
	err = tx.QueryRow(`SELECT seq, choice, receipt_hash FROM proposals_secret_ballots WHERE proposal = ? AND pseudonym = ?`, p.Proposal, pseudonym).Scan(&seq, &choice, &receipt)
	first := errors.Is(err, sql.ErrNoRows)
	switch {
	case err != nil && !first:
		return nil, err
	case !first && p.Seq == seq && p.Choice == choice && p.ReceiptHash == receipt:
		return res, nil // the same ballot again
	case !first && p.Seq <= seq:
		return nil, raftdata.Refuse(raftdata.CodeConflict, "ballot_seq_old", "a ballot numbered %d is recorded for this token: a replacement carries a greater seq", seq).With("seq", seq).On("seq")
	case first && sv.cast[p.College] >= sv.issued[p.College]:
		return nil, raftdata.Refuse(raftdata.CodeConflict, "tokens_exhausted", "every voting token signed for this college has voted already: this token was not taken by a member (a forged token, or a token of a key copied from a node). Tell the members and the operators")
	}
	if first {
		_, err = tx.Exec(`INSERT INTO proposals_secret_ballots(proposal, pseudonym, college, ballot_key, signature, choice, seq, receipt_hash, proof)
			VALUES(?,?,?,?,?,?,?,?,?)`, p.Proposal, pseudonym, p.College, p.BallotKey, p.Signature, p.Choice, p.Seq, p.ReceiptHash, p.Proof)
	} else {
		_, err = tx.Exec(`UPDATE proposals_secret_ballots SET choice = ?, seq = ?, receipt_hash = ?, proof = ? WHERE proposal = ? AND pseudonym = ?`,
			p.Choice, p.Seq, p.ReceiptHash, p.Proof, p.Proposal, pseudonym)
	}
	if err != nil {
		return nil, err
	}
	added := 0
	if first {
		added = 1
	}
	participation, closed, err := o.counted(tx, cmd, v, p.Proposal, added)
	if err != nil || closed {
		return res, err
	}
	o.mu.Lock()
	if first {
		sv.cast[p.College]++
		v.participation, v.counted = participation, true
	}
	o.mu.Unlock()
	return res, nil
}

// countSecretIn counts a secret vote: its ballots by college (in SQL),
// and the tokens issued.
func countSecretIn(tx *raftdata.Tx, row proposalRow, electorate governance.Electorate) (counted, error) {
	votes, err := groupedVotesIn(tx, `SELECT college, 0, choice, COUNT(*) FROM proposals_secret_ballots WHERE proposal = ? GROUP BY college, choice`, row.id)
	if err != nil {
		return counted{}, err
	}
	t, scope := governance.Sum(electorate, votes, row.colleges)
	if err := tx.QueryRow(`SELECT COUNT(*) FROM proposals_tokens_issued WHERE proposal = ?`, row.id).Scan(&t.TokensIssued); err != nil {
		return counted{}, err
	}
	return counted{tally: t, scope: scope}, nil
}

// ---- the service ----

// SecretVote is an open secret vote a member may take a token for.
type SecretVote struct {
	Proposal  string    `json:"proposal"`
	Title     string    `json:"title"`
	Deadline  time.Time `json:"deadline"`
	College   string    `json:"college"`
	PublicKey string    `json:"public_key"` // PKIX DER, base64: blind with it
	Taken     bool      `json:"taken"`      // the member took their token already
}

// SecretVotes lists the open secret votes of the member's electorates:
// a client takes its tokens for all of them at once, when the member
// signs in, so that when a token was taken tells nothing of when its
// ballot is cast.
func (s *Service) SecretVotes(ctx context.Context, actor members.Account) ([]SecretVote, error) {
	if err := requireActive(actor); err != nil {
		return nil, err
	}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT p.id, COALESCE(json_extract(p.definition, '$.title'), ''), p.deadline, e.college, k.public_key,
			EXISTS (SELECT 1 FROM proposals_tokens_issued t WHERE t.proposal = p.id AND t.voter_key = e.voter_key)
		FROM proposals p JOIN proposals_electorate e ON e.proposal = p.id AND e.account_id = ?
		JOIN proposals_token_keys k ON k.proposal = p.id AND k.college = e.college
		WHERE p.status = 'open' AND p.deadline > ? ORDER BY p.deadline, p.id`, actor.ID, s.now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list secret votes: %w", err)
	}
	defer rows.Close()
	out := []SecretVote{}
	for rows.Next() {
		var v SecretVote
		var deadline int64
		if err := rows.Scan(&v.Proposal, &v.Title, &deadline, &v.College, &v.PublicKey, &v.Taken); err != nil {
			return nil, err
		}
		v.Deadline = time.Unix(0, deadline).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// IssueToken signs the member's blinded voting token for a secret vote,
// once per member (a retry of the same blinded message gets the same
// signature).
func (s *Service) IssueToken(ctx context.Context, actor members.Account, id string, blinded []byte) ([]byte, error) {
	if err := requireActive(actor); err != nil {
		return nil, err
	}
	raw, err := s.store.Apply(ctx, cmdTokenIssued, tokenPayload{Proposal: id, Account: actor.ID, Blinded: base64.StdEncoding.EncodeToString(blinded)})
	if err != nil {
		return nil, err
	}
	var res tokenResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.BlindSignature)
}

// CastSecret records a ballot cast with a voting token. It takes no
// account: the caller sends it without a credential.
func (s *Service) CastSecret(ctx context.Context, id string, b SecretBallot) (SecretReceipt, error) {
	raw, err := s.store.Apply(ctx, cmdSecretBallotCast, secretBallotPayload{Proposal: id, SecretBallot: b})
	if err != nil {
		return SecretReceipt{}, err
	}
	var res SecretReceipt
	return res, json.Unmarshal(raw, &res)
}

// PublishedToken is a secret ballot's token as the published list shows
// it: anyone checks the signature with the vote's public key.
type PublishedToken struct {
	BallotKey string `json:"ballot_key"`
	Signature string `json:"signature"`
	Proof     string `json:"proof"`
	Seq       int    `json:"seq"`
}

// SecretList is the published list of a closed secret vote: every line
// checkable against the public keys, and the tokens signed by college.
type SecretList struct {
	PublicKeys   map[string]string `json:"public_keys"`
	TokensIssued map[string]int    `json:"tokens_issued"`
}

// TokenKeys is a secret vote's public keys, by college, and the tokens
// each signed.
func (s *Service) TokenKeys(ctx context.Context, id string) (SecretList, error) {
	out := SecretList{PublicKeys: map[string]string{}, TokensIssued: map[string]int{}}
	rows, err := s.store.DB().QueryContext(ctx, `SELECT college, public_key FROM proposals_token_keys WHERE proposal = ? ORDER BY college`, id)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var c, k string
		if err := rows.Scan(&c, &k); err != nil {
			rows.Close()
			return out, err
		}
		out.PublicKeys[c] = k
		out.TokensIssued[c] = 0
	}
	rows.Close()
	rows, err = s.store.DB().QueryContext(ctx, `SELECT e.college, COUNT(*) FROM proposals_tokens_issued t
		JOIN proposals_electorate e ON e.proposal = t.proposal AND e.voter_key = t.voter_key WHERE t.proposal = ? GROUP BY e.college`, id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return out, err
		}
		out.TokensIssued[c] = n
	}
	return out, rows.Err()
}
