package raftdata

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A backup file is a framed snapshot (see snapshot.go) sealed with
// AES-256-GCM in chunks, so that it is written and read as a stream:
//
//	header: magic "COOPBKUP" | version uint32 | chunk size uint32
//	        | salt [32] | applied index uint64 | plaintext size uint64
//	        | (version 2) envelope length uint32 | envelope
//	        | key check [32] = HMAC-SHA256(mac key, every byte before it)
//	chunks: AES-256-GCM(enc key, nonce, plaintext chunk, additional data = header)
//
// Version 1 is sealed to the operator's key (below). Version 2 is sealed
// to share holders (the custodians): its key is split so that any k of n
// shares rebuild it, and the envelope carries each share sealed to one
// holder's public key (backupshares.go).
//
// Every chunk but the last holds exactly chunk size bytes of plaintext; the
// last holds fewer (possibly none), so a file cut at a chunk boundary is
// recognised as truncated. The nonce is the chunk counter (8 bytes, big
// endian), 3 zero bytes, and 1 for the last chunk (0 otherwise): chunks
// cannot be reordered, dropped, or passed off as the last one.
//
// The keys come from the operator's 32-byte key and the file's random salt
// through HKDF-SHA256, so each file has its own keys: a node that encrypts
// a backup is handed the keys of that one file (BackupFileKey), never the
// operator's key.
const (
	backupMagic      = "COOPBKUP"
	backupVersion    = 1 // sealed to the operator's key
	backupChunkSize  = 64 << 10
	backupSaltSize   = 32
	backupHeaderSize = 8 + 4 + 4 + backupSaltSize + 8 + 8 + sha256.Size // version 1
	backupCheckedLen = backupHeaderSize - sha256.Size
	backupKDFInfo    = "coop backup v1"
	backupPrefixSize = 8 + 4 + 4 // magic, version, chunk size
)

// Errors a backup reader reports, each a sentence an operator can act on.
var (
	ErrNotBackup       = errors.New("this file is not a coop backup")
	ErrBackupKey       = errors.New("this backup was encrypted under another key (or its header is damaged): check the key file")
	ErrBackupTruncated = errors.New("the backup is truncated: it ends before its last chunk")
)

// BackupKey is the operator's key: 32 random bytes, kept in a file.
type BackupKey [32]byte

// NewBackupKey draws a new key.
func NewBackupKey() (BackupKey, error) {
	var k BackupKey
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("draw a backup key: %w", err)
	}
	return k, nil
}

// String is the key as 64 hex digits, the form key files hold.
func (k BackupKey) String() string { return hex.EncodeToString(k[:]) }

// ParseBackupKey reads a key written as 64 hex digits or as base64 (with
// or without padding); surrounding white space is ignored.
func ParseBackupKey(text string) (BackupKey, error) {
	var k BackupKey
	text = strings.TrimSpace(text)
	for _, decode := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := decode(text); err == nil && len(b) == len(k) {
			copy(k[:], b)
			return k, nil
		}
	}
	return k, errors.New("a backup key is 32 bytes written as 64 hex digits or in base64")
}

// BackupFileKey holds the keys of one backup file: its salt, and the
// encryption and check keys derived from the operator's key and that salt.
// It opens this file and no other.
type BackupFileKey struct {
	salt [backupSaltSize]byte
	enc  [32]byte
	mac  [32]byte
}

// NewFileKey derives the keys of a new backup file, under a random salt.
func (k BackupKey) NewFileKey() (BackupFileKey, error) {
	var salt [backupSaltSize]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return BackupFileKey{}, fmt.Errorf("draw a salt: %w", err)
	}
	return k.fileKey(salt)
}

func (k BackupKey) fileKey(salt [backupSaltSize]byte) (BackupFileKey, error) {
	return k.fileKeyFor(salt, backupKDFInfo)
}

// fileKeyFor derives a file's keys under the info string of its format
// version, so that one key never serves two formats.
func (k BackupKey) fileKeyFor(salt [backupSaltSize]byte, info string) (BackupFileKey, error) {
	fk := BackupFileKey{salt: salt}
	okm, err := hkdf.Key(sha256.New, k[:], salt[:], info, len(fk.enc)+len(fk.mac))
	if err != nil {
		return fk, fmt.Errorf("derive backup keys: %w", err)
	}
	copy(fk.enc[:], okm)
	copy(fk.mac[:], okm[len(fk.enc):])
	return fk, nil
}

// String is the file key as hex (salt, then both keys), to hand to the
// node that writes the file. It is a secret: never log it.
func (fk BackupFileKey) String() string {
	return hex.EncodeToString(fk.salt[:]) + hex.EncodeToString(fk.enc[:]) + hex.EncodeToString(fk.mac[:])
}

// ParseBackupFileKey reads what String wrote.
func ParseBackupFileKey(text string) (BackupFileKey, error) {
	var fk BackupFileKey
	b, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil || len(b) != len(fk.salt)+len(fk.enc)+len(fk.mac) {
		return fk, Errorf(CodeInvalid, "the backup key must be %d hex digits (coop backup derives it from the operator's key)", 2*(len(fk.salt)+len(fk.enc)+len(fk.mac)))
	}
	copy(fk.salt[:], b)
	copy(fk.enc[:], b[len(fk.salt):])
	copy(fk.mac[:], b[len(fk.salt)+len(fk.enc):])
	return fk, nil
}

func (fk BackupFileKey) aead() cipher.AEAD {
	block, err := aes.NewCipher(fk.enc[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// EncryptedBackupSize is the length of the file that holds plain bytes of
// plaintext, sealed to the operator's key: the header, and 16 bytes of tag
// per chunk.
func EncryptedBackupSize(plain int64) int64 {
	return sealedSize(backupHeaderSize, plain)
}

// sealedSize is the length of a file whose header has headerLen bytes.
func sealedSize(headerLen int, plain int64) int64 {
	chunks := plain/backupChunkSize + 1 // the last chunk is never full
	return int64(headerLen) + plain + chunks*16
}

// checkHeader appends the key check to the header's fields.
func checkHeader(fields []byte, fk BackupFileKey) []byte {
	mac := hmac.New(sha256.New, fk.mac[:])
	mac.Write(fields)
	return mac.Sum(fields)
}

// headerFields writes the fields every version starts with.
func headerFields(version uint32, salt [backupSaltSize]byte, index uint64, size int64) []byte {
	h := make([]byte, backupCheckedLen)
	copy(h, backupMagic)
	binary.BigEndian.PutUint32(h[8:], version)
	binary.BigEndian.PutUint32(h[12:], backupChunkSize)
	copy(h[16:], salt[:])
	binary.BigEndian.PutUint64(h[16+backupSaltSize:], index)
	binary.BigEndian.PutUint64(h[24+backupSaltSize:], uint64(size))
	return h
}

// backupWriter seals what is written to it, chunk by chunk, into w.
type backupWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	buf    []byte
	out    []byte
	chunk  uint64
	closed bool
}

// operatorHeader is the header of a backup of size bytes of plaintext
// taken at index, sealed to the operator's key (version 1).
func operatorHeader(fk BackupFileKey, index uint64, size int64) []byte {
	return checkHeader(headerFields(backupVersion, fk.salt, index, size), fk)
}

// startBackupWriter writes a complete header, and seals what follows with
// it as every chunk's additional data; Close seals the last chunk.
func startBackupWriter(w io.Writer, fk BackupFileKey, header []byte) (*backupWriter, error) {
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &backupWriter{w: w, aead: fk.aead(), header: header, buf: make([]byte, 0, backupChunkSize)}, nil
}

func (bw *backupWriter) Write(p []byte) (int, error) {
	if bw.closed {
		return 0, errors.New("write to a closed backup")
	}
	n := 0
	for len(p) > 0 {
		if len(bw.buf) == backupChunkSize {
			// Full, and more follows: not the last chunk.
			if err := bw.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(bw.buf[len(bw.buf):backupChunkSize], p)
		bw.buf = bw.buf[:len(bw.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals the last chunk. A full buffer is sealed first as an ordinary
// chunk, so the last one is always shorter than a chunk.
func (bw *backupWriter) Close() error {
	if bw.closed {
		return nil
	}
	if len(bw.buf) == backupChunkSize {
		if err := bw.seal(false); err != nil {
			return err
		}
	}
	bw.closed = true
	return bw.seal(true)
}

func (bw *backupWriter) seal(last bool) error {
	nonce := chunkNonce(bw.chunk, last)
	bw.out = bw.aead.Seal(bw.out[:0], nonce[:], bw.buf, bw.header)
	bw.chunk++
	bw.buf = bw.buf[:0]
	_, err := bw.w.Write(bw.out)
	return err
}

func chunkNonce(counter uint64, last bool) [12]byte {
	var nonce [12]byte
	binary.BigEndian.PutUint64(nonce[:8], counter)
	if last {
		nonce[11] = 1
	}
	return nonce
}

// BackupReader decrypts a backup file as it is read, and fails with a
// sentence at the first chunk that does not authenticate.
type BackupReader struct {
	// Index is the applied index the backup was taken at.
	Index uint64
	// Size is the length of the plaintext.
	Size int64

	r      io.Reader
	aead   cipher.AEAD
	header []byte
	in     []byte
	plain  []byte // decrypted bytes not yet read
	chunk  uint64
	total  int64
	done   bool
	err    error
}

// OpenBackup reads the header of a backup file and checks that key opens
// it. Reading the returned reader yields the framed snapshot inside. A
// backup sealed to custodians is refused: the operator's key opens
// nothing there (OpenBackupWithShares).
func OpenBackup(r io.Reader, key BackupKey) (*BackupReader, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	if h.version == sharedVersion {
		return nil, h.sealedToSharesError()
	}
	fk, err := key.fileKey(h.salt)
	if err != nil {
		return nil, err
	}
	return h.reader(r, fk)
}

// backupHeader is a header as read, before any key checked it.
type backupHeader struct {
	version  uint32
	salt     [backupSaltSize]byte
	index    uint64
	size     int64
	envelope []byte // version 2
	raw      []byte // every byte of the header, key check included
}

// maxEnvelope bounds what a header may announce, so that a damaged length
// cannot make a reader allocate gigabytes.
const maxEnvelope = 1 << 20

// readHeader reads and parses a header of any version this coop reads.
func readHeader(r io.Reader) (backupHeader, error) {
	var h backupHeader
	raw := make([]byte, backupCheckedLen, backupHeaderSize)
	if n, err := io.ReadFull(r, raw); err != nil {
		if n >= len(backupMagic) && string(raw[:len(backupMagic)]) == backupMagic {
			return h, ErrBackupTruncated
		}
		return h, ErrNotBackup
	}
	if string(raw[:len(backupMagic)]) != backupMagic {
		return h, ErrNotBackup
	}
	h.version = binary.BigEndian.Uint32(raw[8:])
	if h.version != backupVersion && h.version != sharedVersion {
		return h, fmt.Errorf("this backup has format version %d; this coop reads versions %d and %d", h.version, backupVersion, sharedVersion)
	}
	if cs := binary.BigEndian.Uint32(raw[12:]); cs != backupChunkSize {
		return h, ErrBackupKey // the chunk size is covered by the check
	}
	copy(h.salt[:], raw[16:])
	h.index = binary.BigEndian.Uint64(raw[16+backupSaltSize:])
	h.size = int64(binary.BigEndian.Uint64(raw[24+backupSaltSize:]))
	if h.version == sharedVersion {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return h, ErrBackupTruncated
		}
		length := binary.BigEndian.Uint32(n[:])
		if length == 0 || length > maxEnvelope {
			return h, errors.New("the backup's header is damaged: its envelope has an impossible length")
		}
		h.envelope = make([]byte, length)
		if _, err := io.ReadFull(r, h.envelope); err != nil {
			return h, ErrBackupTruncated
		}
		raw = append(append(raw, n[:]...), h.envelope...)
	}
	check := make([]byte, sha256.Size)
	if _, err := io.ReadFull(r, check); err != nil {
		return h, ErrBackupTruncated
	}
	h.raw = append(raw, check...)
	return h, nil
}

// reader checks that fk opens the file of this header, and returns the
// reader of its chunks.
func (h backupHeader) reader(r io.Reader, fk BackupFileKey) (*BackupReader, error) {
	fields := h.raw[:len(h.raw)-sha256.Size]
	if !hmac.Equal(checkHeader(bytes.Clone(fields), fk)[len(fields):], h.raw[len(fields):]) {
		return nil, ErrBackupKey
	}
	return &BackupReader{
		Index:  h.index,
		Size:   h.size,
		r:      r,
		aead:   fk.aead(),
		header: h.raw,
		in:     make([]byte, backupChunkSize+16),
	}, nil
}

func (br *BackupReader) Read(p []byte) (int, error) {
	for len(br.plain) == 0 {
		if br.err != nil {
			return 0, br.err
		}
		if br.done {
			br.err = br.checkEnd()
			continue
		}
		br.err = br.next()
	}
	n := copy(p, br.plain)
	br.plain = br.plain[n:]
	return n, nil
}

// next reads and opens one chunk. A full-size chunk is never the last.
func (br *BackupReader) next() error {
	n, err := io.ReadFull(br.r, br.in)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return ErrBackupTruncated
	case errors.Is(err, io.ErrUnexpectedEOF):
		br.done = true
	default:
		return fmt.Errorf("read the backup: %w", err)
	}
	nonce := chunkNonce(br.chunk, br.done)
	plain, oerr := br.aead.Open(br.in[:0], nonce[:], br.in[:n], br.header)
	if oerr != nil {
		if br.done {
			return fmt.Errorf("the backup is damaged or truncated: chunk %d fails its integrity check", br.chunk)
		}
		return fmt.Errorf("the backup is damaged: chunk %d fails its integrity check", br.chunk)
	}
	br.chunk++
	br.total += int64(len(plain))
	br.plain = plain
	return nil
}

// checkEnd runs after the last chunk: nothing may follow it, and the
// plaintext must have the length the header announced.
func (br *BackupReader) checkEnd() error {
	var one [1]byte
	if n, _ := io.ReadFull(br.r, one[:]); n > 0 {
		return errors.New("the backup is damaged: bytes follow its last chunk")
	}
	if br.total != br.Size {
		return fmt.Errorf("the backup is damaged: %d bytes of data, the header says %d", br.total, br.Size)
	}
	return io.EOF
}
