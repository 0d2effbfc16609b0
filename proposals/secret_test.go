package proposals

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"coop/governance"
	"coop/members"
	"coop/raftdata"
)

// amendment opens a secret amendment (the default rulebook's kind) by
// proposer, changing nothing but the text.
func (c *coop) amendment(proposer members.Account) Proposal {
	c.t.Helper()
	p, err := c.props.Create(context.Background(), proposer, Draft{Title: "Keep our rules", Purpose: "Vote on the rulebook as it is.",
		Kind: governance.Amendment, Rules: ptr(c.rules()), VotingMinutes: 60})
	if err != nil {
		c.t.Fatal(err)
	}
	if !p.Secret {
		c.t.Fatalf("an amendment is not secret: %+v", p)
	}
	return p
}

// TestSecretBallot: one token each; a ballot cast with it names no one,
// is replaced by a later one, and never by an older one; a token the vote
// did not sign, a ballot its key did not sign, and a new token beyond the
// tokens issued are refused; the published list lets anyone check every
// line and recount; the signing key is gone after the close.
func TestSecretBallot(t *testing.T) {
	c := startCoop(t)
	ctx := context.Background()
	m := c.contributors(5)
	p := c.amendment(m[0])
	if _, err := c.props.Vote(ctx, m[1], p.ID, "yes"); raftdata.ErrorCode(err) != raftdata.CodeConflict || !strings.Contains(err.Error(), "voting token") {
		t.Fatalf("an open ballot on a secret vote: %v", err)
	}
	votes, err := c.props.SecretVotes(ctx, m[1])
	if err != nil || len(votes) != 1 || votes[0].Proposal != p.ID || votes[0].Taken {
		t.Fatalf("secret votes %+v %v", votes, err)
	}
	pub, _ := ParseTokenKey(votes[0].PublicKey)

	// One token each; the same blinded message again is a retry.
	pending, blinded, err := RequestToken(p.ID, "", pub)
	if err != nil {
		t.Fatal(err)
	}
	sig1, err := c.props.IssueToken(ctx, m[1], p.ID, blinded)
	if err != nil {
		t.Fatal(err)
	}
	sig2, err := c.props.IssueToken(ctx, m[1], p.ID, blinded)
	if err != nil || string(sig1) != string(sig2) {
		t.Fatalf("a retry: %v (same signature: %v)", err, string(sig1) == string(sig2))
	}
	_, other, _ := RequestToken(p.ID, "", pub)
	if _, err := c.props.IssueToken(ctx, m[1], p.ID, other); raftdata.ErrorCode(err) != raftdata.CodeConflict || !strings.Contains(err.Error(), "one each") {
		t.Fatalf("a second token for one member: %v", err)
	}
	if _, err := c.props.IssueToken(ctx, m[0], p.ID, other); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("a token for the requester: %v", err)
	}
	if votes, _ := c.props.SecretVotes(ctx, m[1]); !votes[0].Taken {
		t.Fatal("the token is not marked taken")
	}
	tok, err := pending.Finalize(sig1)
	if err != nil {
		t.Fatal(err)
	}

	// Cast, replace, refuse an older one.
	b1, _ := tok.Ballot("no", 1, "r1")
	r1, err := c.props.CastSecret(ctx, p.ID, b1)
	if err != nil || r1.Pseudonym != tok.Pseudonym() || r1.ReceiptHash != ReceiptHash("r1") {
		t.Fatalf("cast: %+v %v", r1, err)
	}
	if _, err := c.props.CastSecret(ctx, p.ID, b1); err != nil {
		t.Fatalf("the same ballot again: %v", err)
	}
	b2, _ := tok.Ballot("yes", 2, "r2")
	if _, err := c.props.CastSecret(ctx, p.ID, b2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.props.CastSecret(ctx, p.ID, b1); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("an older ballot replayed: %v", err)
	}
	if n := participationOf(t, c, p.ID); n != 1 {
		t.Fatalf("participation %d after one voter's three ballots", n)
	}

	// Forgeries.
	stranger, _ := rsa.GenerateKey(rand.Reader, TokenKeyBits)
	forged := forgeToken(t, p.ID, &stranger.PublicKey, stranger)
	fb, _ := forged.Ballot("yes", 1, "f")
	if _, err := c.props.CastSecret(ctx, p.ID, fb); raftdata.ErrorCode(err) != raftdata.CodeForbidden || !strings.Contains(err.Error(), "not signed by this vote") {
		t.Fatalf("a token signed by another key: %v", err)
	}
	unsigned := b2
	unsigned.Signature = base64.StdEncoding.EncodeToString(make([]byte, 256))
	if _, err := c.props.CastSecret(ctx, p.ID, unsigned); raftdata.ErrorCode(err) != raftdata.CodeForbidden {
		t.Fatalf("an unsigned token: %v", err)
	}
	tampered := b2
	tampered.Choice, tampered.Seq = "no", 3 // the proof signed "yes", 2
	if _, err := c.props.CastSecret(ctx, p.ID, tampered); raftdata.ErrorCode(err) != raftdata.CodeForbidden || !strings.Contains(err.Error(), "proof") {
		t.Fatalf("a ballot changed by whoever saw it: %v", err)
	}
	// Someone who copied the vote's private key from a node's files mints
	// a token: it counts only in the place of a member who took a token
	// and has not voted, and the next member's ballot shows it.
	var priv string
	if err := c.node.DB().QueryRow(`SELECT private_key FROM proposals_token_keys WHERE proposal = ?`, p.ID).Scan(&priv); err != nil {
		t.Fatal(err)
	}
	key, _ := parsePrivateKey(priv)
	minted := forgeToken(t, p.ID, &key.PublicKey, key)
	mb, _ := minted.Ballot("no", 1, "m")
	if _, err := c.props.CastSecret(ctx, p.ID, mb); raftdata.ErrorCode(err) != raftdata.CodeConflict || !strings.Contains(err.Error(), "forged") {
		t.Fatalf("a minted token while every issued token voted: %v", err)
	}
	honest := takeToken(t, c.props, m[2], p.ID) // issued, not used yet
	if _, err := c.props.CastSecret(ctx, p.ID, mb); err != nil {
		t.Fatalf("the minted token takes the free place: %v", err)
	}
	hb, _ := honest.Ballot("yes", 1, "h")
	if _, err := c.props.CastSecret(ctx, p.ID, hb); raftdata.ErrorCode(err) != raftdata.CodeConflict || !strings.Contains(err.Error(), "forged") {
		t.Fatalf("the honest member after a minted token: %v", err)
	}

	castSecret(t, c.props, m[3], p.ID, "yes")
	c.clock.Advance(61 * time.Minute)
	if err := c.props.CloseDue(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := c.props.Get(ctx, p.ID)
	if tl := got.Tally; tl == nil || tl.Yes != 2 || tl.No != 1 || tl.TokensIssued != 3 || tl.Electorate != 5 { // the researcher is a member too
		t.Fatalf("tally %+v", got.Tally)
	}
	// Anyone recounts from the published list and checks every line.
	list, err := c.props.Ballots(ctx, p.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("list %+v %v", list, err)
	}
	keys, err := c.props.TokenKeys(ctx, p.ID)
	if err != nil || keys.TokensIssued[""] != 3 {
		t.Fatalf("keys %+v %v", keys, err)
	}
	pubKey, _ := ParseTokenKey(keys.PublicKeys[""])
	yes := 0
	for _, b := range list {
		sb := SecretBallot{College: b.College, BallotKey: b.Token.BallotKey, Signature: b.Token.Signature, Choice: b.Choice, Seq: b.Token.Seq, ReceiptHash: b.ReceiptHash, Proof: b.Token.Proof}
		msg, err := verifyBallot(p.ID, pubKey, sb)
		if err != nil || Pseudonym(msg) != b.Pseudonym {
			t.Fatalf("line %+v does not verify: %v", b, err)
		}
		if b.Choice == "yes" {
			yes++
		}
	}
	if yes != got.Tally.Yes || len(list) > keys.TokensIssued[""] {
		t.Fatalf("recount: %d yes, %d lines for %d tokens", yes, len(list), keys.TokensIssued[""])
	}
	var left string
	c.node.DB().QueryRow(`SELECT private_key FROM proposals_token_keys WHERE proposal = ?`, p.ID).Scan(&left)
	if left != "" {
		t.Fatal("the signing key outlived the vote")
	}
	if _, err := c.props.IssueToken(ctx, m[4], p.ID, blinded); raftdata.ErrorCode(err) != raftdata.CodeConflict {
		t.Fatalf("a token after the close: %v", err)
	}
}

// forgeToken signs a ballot key with key, outside coop.
func forgeToken(t *testing.T, proposal string, pub *rsa.PublicKey, key *rsa.PrivateKey) *BallotToken {
	t.Helper()
	pending, blinded, err := RequestToken(proposal, "", pub)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := blindrsa.NewSigner(key).BlindSign(blinded)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pending.Finalize(sig)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSecretBallotsNameNoOne: in the tables, the issuing of a token names
// a voter key and no pseudonym; a ballot names a pseudonym and no voter:
// no row holds both, whatever the order of issue and casting.
func TestSecretBallotsNameNoOne(t *testing.T) {
	c := startCoop(t)
	m := c.contributors(4)
	p := c.amendment(m[0])
	var pseudonyms []string
	for _, v := range m[1:] {
		_, r := castSecret(t, c.props, v, p.ID, "yes")
		pseudonyms = append(pseudonyms, r.Pseudonym)
	}
	rows, err := c.node.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tbl := range tables {
		r, err := c.node.DB().Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			r.Scan(ptrs...)
			var line strings.Builder
			for _, v := range vals {
				switch x := v.(type) {
				case string:
					line.WriteString(x + " ")
				case []byte:
					line.WriteString(string(x) + " ")
				}
			}
			text := line.String()
			for i, ps := range pseudonyms {
				if strings.Contains(text, ps) && (strings.Contains(text, m[i+1].ID) || strings.Contains(text, m[i+1].Email)) {
					t.Fatalf("table %s links %s to their ballot: %s", tbl, m[i+1].Name, text)
				}
			}
		}
		r.Close()
	}
}

// TestSecretPayloadsV1Golden: the payloads of proposal.token_issued and
// proposal.secret_ballot_cast as their first version wrote them.
func TestSecretPayloadsV1Golden(t *testing.T) {
	var tp tokenPayload
	golden(t, "testdata/token_issued_v1.json", &tp)
	if tp.Proposal == "" || tp.Account == "" || tp.Blinded == "" {
		t.Fatalf("token %+v", tp)
	}
	var sb secretBallotPayload
	golden(t, "testdata/secret_ballot_cast_v1.json", &sb)
	if sb.Proposal == "" || sb.College != "producers" || sb.Choice != "yes" || sb.Seq != 2 || len(sb.ReceiptHash) != 64 || sb.BallotKey == "" || sb.Signature == "" || sb.Proof == "" {
		t.Fatalf("ballot %+v", sb)
	}
}
