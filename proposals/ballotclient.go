package proposals

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"coop/raftdata"
)

// The voter's side of a secret ballot, in Go (the pages do the same in
// the browser: ui/static/ballot.js). A member's client draws an ECDSA
// P-256 key pair, the ballot key; the vote's RSA key signs the public
// ballot key blindly (RFC 9474, RSABSSA-SHA384-PSS-Deterministic: the
// message is high-entropy already), so the signer never sees it; the
// client unblinds the signature. The public ballot key and its signature
// are the voting token; the private ballot key signs each ballot (its
// proof), so that the ballot can be replaced until the close by whoever
// holds it, and a log that holds every ballot sent holds no secret of
// the voter's. See DESIGN.md.

// tokenVariant is the RFC 9474 variant of coop's voting tokens.
const tokenVariant = blindrsa.SHA384PSSDeterministic

// TokenMessage is the message a vote's key signs blindly: the vote, the
// college and the voter's public ballot key.
func TokenMessage(proposal, college string, ballotKey []byte) []byte {
	return []byte("coop-ballot-token-v1\n" + proposal + "\n" + college + "\n" + base64.StdEncoding.EncodeToString(ballotKey))
}

// Pseudonym is how the published list names a token's ballot.
func Pseudonym(tokenMessage []byte) string {
	h := sha256.Sum256(tokenMessage)
	return hex.EncodeToString(h[:16])
}

// ProofMessage is what a ballot key signs for one ballot.
func ProofMessage(proposal, choice string, seq int, receiptHash string) []byte {
	return []byte("coop-ballot-v1\n" + proposal + "\n" + choice + "\n" + strconv.Itoa(seq) + "\n" + receiptHash)
}

// SecretBallot is the body of POST /api/v1/proposals/{id}/secret-ballots:
// the token (college, ballot key, signature) and a ballot signed by the
// ballot key. It names no one, and the request carries no credential.
type SecretBallot struct {
	College     string `json:"college"`
	BallotKey   string `json:"ballot_key"` // uncompressed P-256 point, base64
	Signature   string `json:"signature"`  // the vote key's RSA signature over TokenMessage, base64
	Choice      string `json:"choice"`
	Seq         int    `json:"seq"`          // 1 for the first ballot, more for each replacement
	ReceiptHash string `json:"receipt_hash"` // SHA-256 (hex) of the voter's receipt, which never travels
	Proof       string `json:"proof"`        // ECDSA P-256 SHA-256 signature over ProofMessage, r||s, base64
}

// PendingToken is a voting token being issued: the client's secrets
// until the signature comes back.
type PendingToken struct {
	Proposal, College string
	key               *ecdsa.PrivateKey
	client            blindrsa.Client
	state             blindrsa.State
	message           []byte
}

// BallotToken is a voting token issued: what the member keeps (in the
// browser, or in a file) until the close.
type BallotToken struct {
	Proposal, College string
	Key               *ecdsa.PrivateKey
	Signature         []byte
}

// ParseTokenKey reads a vote's public key as coop publishes it (PKIX DER,
// base64).
func ParseTokenKey(b64 string) (*rsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("token key: not an RSA key")
	}
	return pub, nil
}

// RequestToken draws a ballot key and blinds it for the vote's key pub: the
// blinded message goes to POST /api/v1/proposals/{id}/voting-token.
func RequestToken(proposal, college string, pub *rsa.PublicKey) (*PendingToken, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	client, err := blindrsa.NewClient(tokenVariant, pub)
	if err != nil {
		return nil, nil, err
	}
	msg := TokenMessage(proposal, college, ballotKeyBytes(&key.PublicKey))
	prepared, err := client.Prepare(rand.Reader, msg)
	if err != nil {
		return nil, nil, err
	}
	blinded, state, err := client.Blind(rand.Reader, prepared)
	if err != nil {
		return nil, nil, err
	}
	return &PendingToken{Proposal: proposal, College: college, key: key, client: client, state: state, message: prepared}, blinded, nil
}

// Finalize unblinds the signature the vote's key returned and checks it.
func (p *PendingToken) Finalize(blindSig []byte) (*BallotToken, error) {
	sig, err := p.client.Finalize(p.state, blindSig)
	if err != nil {
		return nil, fmt.Errorf("finalize voting token: %w", err)
	}
	if err := p.client.Verify(p.message, sig); err != nil {
		return nil, fmt.Errorf("voting token: %w", err)
	}
	return &BallotToken{Proposal: p.Proposal, College: p.College, Key: p.key, Signature: sig}, nil
}

// Pseudonym is the token's name in the published list.
func (t *BallotToken) Pseudonym() string {
	return Pseudonym(TokenMessage(t.Proposal, t.College, ballotKeyBytes(&t.Key.PublicKey)))
}

// Ballot signs a ballot: choice, its number (1, then more for each
// replacement) and the hash of a receipt only the voter keeps.
func (t *BallotToken) Ballot(choice string, seq int, receipt string) (SecretBallot, error) {
	rh := ReceiptHash(receipt)
	digest := sha256.Sum256(ProofMessage(t.Proposal, choice, seq, rh))
	r, s, err := ecdsa.Sign(rand.Reader, t.Key, digest[:])
	if err != nil {
		return SecretBallot{}, err
	}
	proof := make([]byte, 64)
	r.FillBytes(proof[:32])
	s.FillBytes(proof[32:])
	return SecretBallot{College: t.College, BallotKey: base64.StdEncoding.EncodeToString(ballotKeyBytes(&t.Key.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(t.Signature), Choice: choice, Seq: seq, ReceiptHash: rh,
		Proof: base64.StdEncoding.EncodeToString(proof)}, nil
}

func ballotKeyBytes(k *ecdsa.PublicKey) []byte {
	b, _ := k.Bytes() // uncompressed point: 0x04 || X || Y
	return b
}

// verifyBallot checks a secret ballot against the vote's key for its
// college: the token's signature, then the ballot's proof. It answers the
// token message (whose hash names the ballot).
func verifyBallot(proposal string, pub *rsa.PublicKey, b SecretBallot) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(b.BallotKey)
	if err != nil {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "ballot_key_invalid", "ballot_key is not base64").On("ballot_key")
	}
	sig, err := base64.StdEncoding.DecodeString(b.Signature)
	if err != nil {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "token_signature_invalid", "signature is not base64").On("signature")
	}
	proof, err := base64.StdEncoding.DecodeString(b.Proof)
	if err != nil || len(proof) != 64 {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "ballot_proof_invalid", "proof is 64 bytes (r and s), base64").On("proof")
	}
	msg := TokenMessage(proposal, b.College, key)
	verifier, err := blindrsa.NewVerifier(tokenVariant, pub)
	if err != nil {
		return nil, err
	}
	if err := verifier.Verify(msg, sig); err != nil {
		return nil, errForgedToken()
	}
	point, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), key)
	if err != nil {
		return nil, raftdata.Refuse(raftdata.CodeInvalid, "ballot_key_invalid", "ballot_key is not a P-256 public key").On("ballot_key")
	}
	digest := sha256.Sum256(ProofMessage(proposal, b.Choice, b.Seq, b.ReceiptHash))
	if !ecdsa.Verify(point, digest[:], new(big.Int).SetBytes(proof[:32]), new(big.Int).SetBytes(proof[32:])) {
		return nil, errBadProof()
	}
	return msg, nil
}

// TakeToken is the voter's side of taking the token of vote v: it blinds
// a new ballot key, has sign (the member's own, signed-in call to POST
// /api/v1/proposals/{id}/voting-token, or IssueToken) sign it, and
// unblinds the answer.
func TakeToken(v SecretVote, sign func(blinded []byte) ([]byte, error)) (*BallotToken, error) {
	pub, err := ParseTokenKey(v.PublicKey)
	if err != nil {
		return nil, err
	}
	pending, blinded, err := RequestToken(v.Proposal, v.College, pub)
	if err != nil {
		return nil, err
	}
	sig, err := sign(blinded)
	if err != nil {
		return nil, fmt.Errorf("take a voting token: %w", err)
	}
	return pending.Finalize(sig)
}

// TokenFile is a voting token as the member keeps it: the shape the
// browser keeps in localStorage and downloads (ui/static/ballot.js), so
// that a token moves between a browser and `coop vote`.
type TokenFile struct {
	V        int    `json:"v"`
	Proposal string `json:"proposal"`
	College  string `json:"college"`
	Token    struct {
		BallotKey string `json:"ballotKey"`
		Signature string `json:"signature"`
		JWK       jwkEC  `json:"jwk"`
	} `json:"token"`
	Seq       int    `json:"seq,omitempty"`
	Choice    string `json:"choice,omitempty"`
	Receipt   string `json:"receipt,omitempty"`
	Pseudonym string `json:"pseudonym,omitempty"`
}

// jwkEC is a P-256 private key as WebCrypto exports it.
type jwkEC struct {
	Kty    string   `json:"kty"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
	Ext    bool     `json:"ext,omitempty"`
	KeyOps []string `json:"key_ops,omitempty"`
}

// File is the token as a TokenFile.
func (t *BallotToken) File() TokenFile {
	f := TokenFile{V: 1, Proposal: t.Proposal, College: t.College}
	pub := ballotKeyBytes(&t.Key.PublicKey)
	d, _ := t.Key.Bytes()
	raw := base64.RawURLEncoding
	f.Token.BallotKey = base64.StdEncoding.EncodeToString(pub)
	f.Token.Signature = base64.StdEncoding.EncodeToString(t.Signature)
	f.Token.JWK = jwkEC{Kty: "EC", Crv: "P-256", X: raw.EncodeToString(pub[1:33]), Y: raw.EncodeToString(pub[33:]), D: raw.EncodeToString(d), Ext: true, KeyOps: []string{"sign"}}
	return f
}

// BallotToken reads the token back from its file.
func (f TokenFile) BallotToken() (*BallotToken, error) {
	if f.Proposal == "" || f.Token.JWK.Crv != "P-256" {
		return nil, errors.New("this file holds no voting token")
	}
	d, err := base64.RawURLEncoding.DecodeString(f.Token.JWK.D)
	if err != nil {
		return nil, fmt.Errorf("voting token file: %w", err)
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, fmt.Errorf("voting token file: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(f.Token.Signature)
	if err != nil {
		return nil, fmt.Errorf("voting token file: %w", err)
	}
	return &BallotToken{Proposal: f.Proposal, College: f.College, Key: key, Signature: sig}, nil
}

// CheckPublished checks one line of a closed secret vote's published
// list against the vote's public key for its college: the token signed by
// that key, the ballot's proof made by the token's ballot key, the line
// named by the token's pseudonym. A recount that checks every line, and
// finds no more lines than tokens issued, counts no forged ballot.
func CheckPublished(proposal string, key *rsa.PublicKey, b PublishedBallot) error {
	if b.Token == nil {
		return errors.New("this line carries no token: not a secret ballot's")
	}
	msg, err := verifyBallot(proposal, key, SecretBallot{College: b.College, BallotKey: b.Token.BallotKey, Signature: b.Token.Signature,
		Choice: b.Choice, Seq: b.Token.Seq, ReceiptHash: b.ReceiptHash, Proof: b.Token.Proof})
	if err != nil {
		return err
	}
	if Pseudonym(msg) != b.Pseudonym {
		return fmt.Errorf("the line's pseudonym %s is not its token's", b.Pseudonym)
	}
	return nil
}
