package raftdata

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/secretsharing"
)

// Backups sealed to share holders (format version 2).
//
// The node that writes the backup draws a data key, splits it so that any
// Threshold of the holders' shares rebuild it and fewer learn nothing
// (Shamir's scheme), and seals each share to one holder's age X25519
// public key. The file's header carries those sealed shares (the
// envelope); the data key itself is written nowhere. The file's keys
// derive from the data key as a version 1 file's derive from the
// operator's key, so the chunks are sealed the same way, and the key check
// covers the envelope: a changed envelope, a wrong or damaged share, all
// fail that check.
//
// Shamir's scheme is CIRCL's (github.com/cloudflare/circl/secretsharing),
// over the scalar field of Ristretto255: the data key is a random scalar,
// the constant term of a random polynomial of degree Threshold-1; share i
// is the polynomial at i. Any Threshold shares interpolate the constant
// term; fewer are uniformly random whatever the key. Sealing is age's
// (filippo.io/age). coop writes no primitive of its own here.
//
// A holder opens their share with their identity (OpenShare) and hands the
// share, a small JSON file, to whoever restores; OpenBackupWithShares
// takes Threshold of them.

const (
	sharedVersion = 2
	sharedKDFInfo = "coop backup v2"
	shareFormat   = "coop-backup-share/1"
)

// Errors of a restore from shares, each a sentence a person can act on.
var (
	ErrTooFewShares  = errors.New("too few shares")
	ErrSharesWrong   = errors.New("these shares do not open this backup: one of them is damaged or was changed")
	ErrShareOfOther  = errors.New("a share of another backup")
	ErrNoShareForKey = errors.New("this backup holds no share for this key")
	errShareNotJSON  = errors.New("not a backup share")
	// ErrSealedToShares: a key was given for a backup sealed to holders.
	ErrSealedToShares = errors.New("this backup is sealed to share holders: their shares open it, and no key does")
	// ErrSealedToKey: shares were given for a backup sealed to a key.
	ErrSealedToKey = errors.New("this backup is sealed to the operator's key, not to share holders: it holds no share")
)

// ShareHolders are those a backup is sealed to.
type ShareHolders struct {
	// Threshold is how many shares rebuild the key (at least 2).
	Threshold int
	// Recipients are the holders' age X25519 public keys, one share each.
	Recipients []string
	// Label says who they are, in the file's clear header ("custodian
	// set 2"): no name, no secret.
	Label string
}

// envelope is the clear part of a version 2 header that says who holds
// the shares, and carries each one sealed.
type envelope struct {
	Threshold int           `json:"threshold"`
	Label     string        `json:"label,omitempty"`
	Shares    []sealedShare `json:"shares"`
}

type sealedShare struct {
	Recipient string `json:"recipient"`
	Sealed    []byte `json:"sealed"` // an age file holding the share
}

// Share is one holder's share of a backup's key, opened.
type Share struct {
	Format    string `json:"format"`
	Backup    string `json:"backup"` // the file's salt, in hex: which backup it opens
	Index     uint64 `json:"index"`  // the backup's applied index, for people
	Threshold int    `json:"threshold"`
	Number    int    `json:"number"` // 1..n, where the polynomial was evaluated
	Value     []byte `json:"value"`  // the polynomial's value there (a scalar)
}

// SealedFileKey is the keys of one backup file sealed to holders, and the
// envelope its header carries. It lives on the node that writes the file.
type SealedFileKey struct {
	fk       BackupFileKey
	envelope []byte
}

// SealToHolders draws a new data key and salt, splits the key among the
// holders and seals each share. index is the applied index of the backup
// the key will seal (each share names it).
func SealToHolders(h ShareHolders, index uint64) (SealedFileKey, error) {
	n := len(h.Recipients)
	if h.Threshold < 2 || h.Threshold > n {
		return SealedFileKey{}, fmt.Errorf("seal a backup: %d of %d holders is no threshold", h.Threshold, n)
	}
	var salt [backupSaltSize]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return SealedFileKey{}, fmt.Errorf("draw a salt: %w", err)
	}
	g := group.Ristretto255
	secret := g.RandomScalar(rand.Reader)
	key, err := scalarKey(secret)
	if err != nil {
		return SealedFileKey{}, err
	}
	fk, err := key.fileKeyFor(salt, sharedKDFInfo)
	if err != nil {
		return SealedFileKey{}, err
	}
	shares := secretsharing.New(rand.Reader, uint(h.Threshold-1), secret).Share(uint(n))
	env := envelope{Threshold: h.Threshold, Label: h.Label}
	for i, s := range shares {
		value, err := s.Value.MarshalBinary()
		if err != nil {
			return SealedFileKey{}, err
		}
		plain, err := json.Marshal(Share{Format: shareFormat, Backup: hex.EncodeToString(salt[:]), Index: index,
			Threshold: h.Threshold, Number: i + 1, Value: value})
		if err != nil {
			return SealedFileKey{}, err
		}
		sealed, err := sealTo(h.Recipients[i], plain)
		if err != nil {
			return SealedFileKey{}, fmt.Errorf("seal share %d: %w", i+1, err)
		}
		env.Shares = append(env.Shares, sealedShare{Recipient: h.Recipients[i], Sealed: sealed})
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return SealedFileKey{}, err
	}
	return SealedFileKey{fk: fk, envelope: raw}, nil
}

// scalarKey turns the shared scalar into the key files derive from.
func scalarKey(s group.Scalar) (BackupKey, error) {
	var k BackupKey
	b, err := s.MarshalBinary()
	if err != nil || len(b) != len(k) {
		return k, fmt.Errorf("encode the data key: %v", err)
	}
	copy(k[:], b)
	return k, nil
}

func sealTo(recipient string, plain []byte) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// header is the complete version 2 header of a backup.
func (k SealedFileKey) header(index uint64, size int64) []byte {
	fields := headerFields(sharedVersion, k.fk.salt, index, size)
	fields = binary.BigEndian.AppendUint32(fields, uint32(len(k.envelope)))
	fields = append(fields, k.envelope...)
	return checkHeader(fields, k.fk)
}

// headerSize is the length of the header it writes.
func (k SealedFileKey) headerSize() int { return backupHeaderSize + 4 + len(k.envelope) }

// BackupInfo is what a backup's header says, read without any key.
type BackupInfo struct {
	Version int
	ID      string // the file's salt, in hex: its own identity
	Index   uint64 // applied index
	Size    int64  // bytes of plaintext
	// For a backup sealed to holders (version 2): how many shares open
	// it, who holds them, and the label the cluster gave them.
	Threshold  int
	Recipients []string
	Label      string
	headerLen  int
}

// Shared tells whether the backup is sealed to share holders.
func (i BackupInfo) Shared() bool { return i.Version == sharedVersion }

// FileSize is the length the whole file must have.
func (i BackupInfo) FileSize() int64 { return sealedSize(i.headerLen, i.Size) }

// info reads what a header says; a version 2 envelope must parse.
func (h backupHeader) info() (BackupInfo, envelope, error) {
	i := BackupInfo{Version: int(h.version), ID: hex.EncodeToString(h.salt[:]), Index: h.index, Size: h.size, headerLen: len(h.raw)}
	var env envelope
	if h.version != sharedVersion {
		return i, env, nil
	}
	if err := json.Unmarshal(h.envelope, &env); err != nil || env.Threshold < 2 || env.Threshold > len(env.Shares) {
		return i, env, errors.New("the backup's header is damaged: its envelope does not parse")
	}
	i.Threshold, i.Label = env.Threshold, env.Label
	for _, s := range env.Shares {
		i.Recipients = append(i.Recipients, s.Recipient)
	}
	return i, env, nil
}

func (h backupHeader) sealedToSharesError() error {
	i, _, err := h.info()
	if err != nil {
		return err
	}
	return fmt.Errorf("%w (any %d of the %d shares)", ErrSealedToShares, i.Threshold, len(i.Recipients))
}

// ReadBackupHeader reads what a backup's header says, without any key.
func ReadBackupHeader(r io.Reader) (BackupInfo, error) {
	h, err := readHeader(r)
	if err != nil {
		return BackupInfo{}, err
	}
	i, _, err := h.info()
	return i, err
}

// ReadBackupInfo reads a backup's header and checks that the rest of the
// file has the length the header announces, without any key: what the
// operator who took a backup sealed to custodians can check of it. It
// reads r to its end.
func ReadBackupInfo(r io.Reader) (BackupInfo, error) {
	i, err := ReadBackupHeader(r)
	if err != nil {
		return i, err
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return i, fmt.Errorf("read the backup: %w", err)
	}
	if got, want := int64(i.headerLen)+n, i.FileSize(); got != want {
		if got < want {
			return i, ErrBackupTruncated
		}
		return i, fmt.Errorf("the backup is damaged: %d bytes, its header announces %d", got, want)
	}
	return i, nil
}

// OpenShare finds the share of the backup read from r that was sealed to
// identity, and opens it. It reads only the header.
func OpenShare(r io.Reader, identity *age.X25519Identity) (Share, BackupInfo, error) {
	h, err := readHeader(r)
	if err != nil {
		return Share{}, BackupInfo{}, err
	}
	info, env, err := h.info()
	if err != nil {
		return Share{}, info, err
	}
	if !info.Shared() {
		return Share{}, info, ErrSealedToKey
	}
	mine := identity.Recipient().String()
	for _, s := range env.Shares {
		if s.Recipient != mine {
			continue
		}
		plain, err := age.Decrypt(bytes.NewReader(s.Sealed), identity)
		if err != nil {
			return Share{}, info, fmt.Errorf("the share sealed to %s does not open: %v", mine, err)
		}
		raw, err := io.ReadAll(io.LimitReader(plain, 4096))
		if err != nil {
			return Share{}, info, fmt.Errorf("the share sealed to %s does not open: %v", mine, err)
		}
		share, err := ParseShare(raw)
		if err != nil {
			return Share{}, info, err
		}
		if share.Backup != hex.EncodeToString(h.salt[:]) {
			return Share{}, info, fmt.Errorf("%w: the share sealed in this file was copied from the backup taken at index %d", ErrShareOfOther, share.Index)
		}
		return share, info, nil
	}
	return Share{}, info, fmt.Errorf("%w (%s): it was sealed to %d other keys", ErrNoShareForKey, mine, len(env.Shares))
}

// ParseShare reads a share file.
func ParseShare(data []byte) (Share, error) {
	var s Share
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Format != shareFormat {
		return Share{}, errShareNotJSON
	}
	if _, err := hex.DecodeString(s.Backup); err != nil || len(s.Backup) != 2*backupSaltSize || s.Number < 1 || s.Threshold < 2 || len(s.Value) != 32 {
		return Share{}, errors.New("the share is damaged: a field is missing or out of range")
	}
	return s, nil
}

// File is the share as a share file holds it (JSON, one line).
func (s Share) File() []byte {
	b, _ := json.Marshal(s) // plain fields: cannot fail
	return append(b, '\n')
}

// OpenBackupWithShares reads the header of a backup sealed to share
// holders and opens it with shares (at least its threshold of them, from
// different holders). Each share must come from this backup.
func OpenBackupWithShares(r io.Reader, shares []Share) (*BackupReader, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	info, _, err := h.info()
	if err != nil {
		return nil, err
	}
	if !info.Shared() {
		return nil, ErrSealedToKey
	}
	salt := hex.EncodeToString(h.salt[:])
	byNumber := map[int]int{} // share number -> position in shares
	var parts []secretsharing.Share
	g := group.Ristretto255
	for i, s := range shares {
		if s.Backup != salt {
			return nil, fmt.Errorf("%w: share %d was opened from the backup taken at index %d, not from this one (index %d)", ErrShareOfOther, i+1, s.Index, info.Index)
		}
		if s.Number > len(info.Recipients) {
			return nil, fmt.Errorf("share %d is damaged: its number %d is beyond the %d shares of this backup", i+1, s.Number, len(info.Recipients))
		}
		if j, dup := byNumber[s.Number]; dup {
			return nil, fmt.Errorf("shares %d and %d are the same holder's share: the shares of %d different holders are needed", j+1, i+1, info.Threshold)
		}
		byNumber[s.Number] = i
		value := g.NewScalar()
		if err := value.UnmarshalBinary(s.Value); err != nil {
			return nil, fmt.Errorf("share %d is damaged: %v", i+1, err)
		}
		parts = append(parts, secretsharing.Share{ID: g.NewScalar().SetUint64(uint64(s.Number)), Value: value})
	}
	if len(parts) < info.Threshold {
		return nil, fmt.Errorf("%w: this backup opens with any %d of its %d shares, and %s given", ErrTooFewShares, info.Threshold, len(info.Recipients), countShares(len(parts)))
	}
	secret, err := secretsharing.Recover(uint(info.Threshold-1), parts)
	if err != nil {
		return nil, fmt.Errorf("rebuild the backup's key: %w", err)
	}
	key, err := scalarKey(secret)
	if err != nil {
		return nil, err
	}
	fk, err := key.fileKeyFor(h.salt, sharedKDFInfo)
	if err != nil {
		return nil, err
	}
	br, err := h.reader(r, fk)
	if errors.Is(err, ErrBackupKey) {
		return nil, ErrSharesWrong
	}
	return br, err
}

func countShares(n int) string {
	switch n {
	case 0:
		return "none was"
	case 1:
		return "only 1 was"
	}
	return fmt.Sprintf("only %d were", n)
}

// SealedSize is the number of bytes WriteSealed writes with k.
func (b *Backup) SealedSize(k SealedFileKey) int64 { return sealedSize(k.headerSize(), b.size) }

// WriteSealed writes the backup file, sealed to the holders of k, to w.
func (b *Backup) WriteSealed(w io.Writer, k SealedFileKey) error {
	return b.write(w, k.fk, k.header(b.Index, b.size))
}
