package raftdata

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

type holdersForTest struct {
	ids     []*age.X25519Identity
	holders ShareHolders
}

func newHolders(t *testing.T, k, n int) holdersForTest {
	t.Helper()
	h := holdersForTest{holders: ShareHolders{Threshold: k, Label: "test holders"}}
	for range n {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		h.ids = append(h.ids, id)
		h.holders.Recipients = append(h.holders.Recipients, id.Recipient().String())
	}
	return h
}

// sealToHoldersForTest writes plain as a backup file sealed to h.
func sealToHoldersForTest(t *testing.T, h ShareHolders, plain []byte, index uint64) []byte {
	t.Helper()
	k, err := SealToHolders(h, index)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	bw, err := startBackupWriter(&out, k.fk, k.header(index, int64(len(plain))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := int64(out.Len()), sealedSize(k.headerSize(), int64(len(plain))); got != want {
		t.Fatalf("sealed %d bytes, sealedSize says %d", got, want)
	}
	return out.Bytes()
}

func openShares(t *testing.T, file []byte, ids ...*age.X25519Identity) []Share {
	t.Helper()
	var out []Share
	for _, id := range ids {
		s, _, err := OpenShare(bytes.NewReader(file), id)
		if err != nil {
			t.Fatal(err)
		}
		// Through a share file, as custodians hand them over.
		back, err := ParseShare(s.File())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, back)
	}
	return out
}

// TestSharedBackupOpensWithAnyKShares: every subset of k shares of a 3 of
// 5 backup opens it; k-1 shares, a share of another backup, the same
// share twice, a changed share or envelope do not, and say why; the
// operator's key opens nothing.
func TestSharedBackupOpensWithAnyKShares(t *testing.T) {
	h := newHolders(t, 3, 5)
	plain := make([]byte, 2*backupChunkSize+123)
	rand.Read(plain)
	file := sealToHoldersForTest(t, h.holders, plain, 99)
	all := openShares(t, file, h.ids...)
	for i, s := range all {
		if s.Number != i+1 || s.Index != 99 || s.Threshold != 3 {
			t.Fatalf("share %d: %+v", i, s)
		}
	}
	info, err := ReadBackupInfo(bytes.NewReader(file))
	if err != nil || !info.Shared() || info.Threshold != 3 || len(info.Recipients) != 5 || info.Index != 99 || info.Label != "test holders" {
		t.Fatalf("info %+v, %v", info, err)
	}

	for a := 0; a < 5; a++ {
		for b := a + 1; b < 5; b++ {
			for c := b + 1; c < 5; c++ {
				br, err := OpenBackupWithShares(bytes.NewReader(file), []Share{all[c], all[a], all[b]})
				if err != nil {
					t.Fatalf("shares %d %d %d: %v", a, b, c, err)
				}
				got, err := io.ReadAll(br)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("shares %d %d %d: %d bytes, %v", a, b, c, len(got), err)
				}
			}
		}
	}

	other := sealToHoldersForTest(t, h.holders, plain, 100)
	foreign := openShares(t, other, h.ids[0])[0]
	changed := all[2]
	changed.Value = bytes.Clone(changed.Value)
	changed.Value[0] ^= 1
	envelopeFlipped := bytes.Clone(file)
	envelopeFlipped[backupCheckedLen+4+20] ^= 1 // inside the envelope's JSON
	cases := []struct {
		name   string
		file   []byte
		shares []Share
		want   error
		says   string
	}{
		{"k-1 shares", file, all[:2], ErrTooFewShares, "any 3 of its 5 shares, and only 2 were given"},
		{"no share", file, nil, ErrTooFewShares, "none was given"},
		{"the same share twice", file, []Share{all[0], all[1], all[1]}, nil, "same holder's share"},
		{"a share of another backup", file, []Share{all[0], all[1], foreign}, ErrShareOfOther, "taken at index 100, not from this one (index 99)"},
		{"a changed share", file, []Share{all[0], all[1], changed}, ErrSharesWrong, "do not open this backup"},
		{"a changed envelope", envelopeFlipped, all[:3], nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			br, err := OpenBackupWithShares(bytes.NewReader(tc.file), tc.shares)
			if err == nil {
				_, err = io.ReadAll(br)
			}
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}

	if _, err := OpenBackup(bytes.NewReader(file), newTestKey(t)); !errors.Is(err, ErrSealedToShares) || !strings.Contains(err.Error(), "any 3 of the 5") {
		t.Fatalf("operator's key on a shared backup: %v", err)
	}
	stranger, _ := age.GenerateX25519Identity()
	if _, _, err := OpenShare(bytes.NewReader(file), stranger); !errors.Is(err, ErrNoShareForKey) {
		t.Fatalf("a stranger's identity: %v", err)
	}
	keyed := sealForTest(t, newTestKey(t), plain, 5)
	if _, _, err := OpenShare(bytes.NewReader(keyed), h.ids[0]); !errors.Is(err, ErrSealedToKey) {
		t.Fatalf("open-share on an operator backup: %v", err)
	}
	if _, err := OpenBackupWithShares(bytes.NewReader(keyed), all); !errors.Is(err, ErrSealedToKey) {
		t.Fatalf("shares on an operator backup: %v", err)
	}
	if _, err := ReadBackupInfo(bytes.NewReader(file[:len(file)-1])); !errors.Is(err, ErrBackupTruncated) {
		t.Fatalf("info of a cut file: %v", err)
	}
	if _, err := ReadBackupInfo(bytes.NewReader(append(bytes.Clone(file), 0))); err == nil {
		t.Fatal("info of a file with a byte appended")
	}
}

// TestSharedBackupHoldsNoPlaintext: nothing of the plaintext, and no
// share value, is in the clear in the file.
func TestSharedBackupHoldsNoPlaintext(t *testing.T) {
	h := newHolders(t, 2, 3)
	plain := bytes.Repeat([]byte("Zéphyrine Quillard 1234.5 kWh; "), 5000)
	file := sealToHoldersForTest(t, h.holders, plain, 7)
	if bytes.Contains(file, []byte("Zéphyrine")) || bytes.Contains(file, []byte("1234.5")) {
		t.Fatal("plaintext in the sealed file")
	}
	for _, s := range openShares(t, file, h.ids...) {
		if bytes.Contains(file, s.Value) {
			t.Fatalf("share %d's value is in the clear", s.Number)
		}
	}
}

func TestParseShareRefusesOthers(t *testing.T) {
	for _, bad := range []string{"", "{}", `{"format":"coop-backup-share/1"}`, "AGE-SECRET-KEY-1", `{"format":"x","backup":"00"}`} {
		if _, err := ParseShare([]byte(bad)); err == nil {
			t.Errorf("%q parsed as a share", bad)
		}
	}
}

func TestSealToHoldersRefusesBadSets(t *testing.T) {
	h := newHolders(t, 2, 3)
	for _, tc := range []ShareHolders{
		{Threshold: 1, Recipients: h.holders.Recipients},
		{Threshold: 4, Recipients: h.holders.Recipients},
		{Threshold: 2, Recipients: []string{h.holders.Recipients[0], "age1notakey"}},
	} {
		if _, err := SealToHolders(tc, 1); err == nil {
			t.Errorf("%+v sealed", tc)
		}
	}
}

// BenchmarkBackupSealing: the cost of sealing a backup to custodians (a
// fresh data key split 3 of 5, each share sealed with age) against the
// operator's key, over the same 16 MB of plaintext.
func BenchmarkBackupSealing(b *testing.B) {
	plain := make([]byte, 16<<20)
	rand.Read(plain)
	key, _ := NewBackupKey()
	ids := make([]string, 5)
	for i := range ids {
		id, _ := age.GenerateX25519Identity()
		ids[i] = id.Recipient().String()
	}
	seal := func(b *testing.B, fk BackupFileKey, header []byte) {
		bw, err := startBackupWriter(io.Discard, fk, header)
		if err == nil {
			_, err = bw.Write(plain)
		}
		if err == nil {
			err = bw.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("operator", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for range b.N {
			fk, err := key.NewFileKey()
			if err != nil {
				b.Fatal(err)
			}
			seal(b, fk, operatorHeader(fk, 1, int64(len(plain))))
		}
	})
	b.Run("custodians-3-of-5", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for range b.N {
			k, err := SealToHolders(ShareHolders{Threshold: 3, Recipients: ids}, 1)
			if err != nil {
				b.Fatal(err)
			}
			seal(b, k.fk, k.header(1, int64(len(plain))))
		}
	})
	// The fixed cost of the custodians: drawing, splitting and sealing
	// the data key, without the data.
	b.Run("key-shares-only", func(b *testing.B) {
		for range b.N {
			if _, err := SealToHolders(ShareHolders{Threshold: 3, Recipients: ids}, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
