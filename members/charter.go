package members

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"coop/raftdata"
)

// The charters ship with coop as files charter/<kind>-v<version>.<lang>.md.
// The current version of a kind is the highest one present; publishing a
// new version (a new pair of files) asks everyone concerned to sign again
// at their next login.
//
//go:embed charter/*.md
var charterFiles embed.FS

// CharterKind names a charter.
type CharterKind string

const (
	// CharterMember is signed by every member (and researcher) at sign-up.
	CharterMember CharterKind = "member"
	// CharterOperator is signed by operators: they run the system without
	// access to members' data (seed 003).
	CharterOperator CharterKind = "operator"
)

// Languages the charters are written in; DefaultLang when the asked one is
// missing.
const DefaultLang = "fr"

// Charter is one version of a charter in one language.
type Charter struct {
	Kind    CharterKind `json:"kind"`
	Version int         `json:"version"`
	Lang    string      `json:"lang"`
	Text    string      `json:"text"`
}

// charterFile splits "member-v1.en.md".
func charterFile(name string) (kind CharterKind, version int, lang string, ok bool) {
	base, found := strings.CutSuffix(name, ".md")
	if !found {
		return "", 0, "", false
	}
	base, lang, found = strings.Cut(base, ".")
	if !found {
		return "", 0, "", false
	}
	k, v, found := strings.Cut(base, "-v")
	if !found {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, "", false
	}
	return CharterKind(k), n, lang, true
}

func charterNames() []string {
	entries, _ := fs.ReadDir(charterFiles, "charter")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// CharterVersion is the current version of a kind of charter, 0 for an
// unknown kind.
func CharterVersion(kind CharterKind) int {
	v := 0
	for _, name := range charterNames() {
		if k, n, _, ok := charterFile(name); ok && k == kind && n > v {
			v = n
		}
	}
	return v
}

// CurrentCharter returns the text of the current version of a charter in
// lang ("fr" or "en"), in French when lang is missing.
func CurrentCharter(kind CharterKind, lang string) (Charter, error) {
	v := CharterVersion(kind)
	if v == 0 {
		return Charter{}, raftdata.Refuse(raftdata.CodeNotFound, "no_charter", "no charter %q", kind)
	}
	for _, l := range []string{lang, DefaultLang} {
		data, err := charterFiles.ReadFile(fmt.Sprintf("charter/%s-v%d.%s.md", kind, v, l))
		if err == nil {
			return Charter{Kind: kind, Version: v, Lang: l, Text: string(data)}, nil
		}
	}
	return Charter{}, fmt.Errorf("charter %s v%d has no text in %s or %s", kind, v, lang, DefaultLang)
}

// charterLang is the language recorded with a signature.
func charterLang(kind CharterKind, lang string) string {
	c, err := CurrentCharter(kind, lang)
	if err != nil {
		return DefaultLang
	}
	return c.Lang
}

// chartersFor lists the charters an account with roles must have signed.
func chartersFor(roles []Role) []CharterKind {
	var kinds []CharterKind
	if slices.Contains(roles, RoleMember) || slices.Contains(roles, RoleApplicant) || slices.Contains(roles, RoleResearcher) {
		kinds = append(kinds, CharterMember)
	}
	if slices.Contains(roles, RoleOperator) {
		kinds = append(kinds, CharterOperator)
	}
	return kinds
}

// CharterVersions maps each kind of charter to its current version in
// this binary. Handlers never call CharterVersion themselves (two nodes
// running different releases could disagree): the service puts the
// versions it means in the payload.
func CharterVersions() map[CharterKind]int {
	return map[CharterKind]int{CharterMember: CharterVersion(CharterMember), CharterOperator: CharterVersion(CharterOperator)}
}

// chartersCurrent tells whether the account signed, for every charter its
// roles call for, the version given in versions.
func chartersCurrent(q querier, id string, roles []Role, versions map[CharterKind]int) (bool, error) {
	for _, kind := range chartersFor(roles) {
		var n int
		err := q.QueryRow(`SELECT COUNT(*) FROM members_charter_signatures WHERE account_id = ? AND charter = ? AND version = ?`,
			id, kind, versions[kind]).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("read charter signatures: %w", err)
		}
		if n == 0 {
			return false, nil
		}
	}
	return true, nil
}

// CharterCurrent tells whether the account signed the current version of
// every charter its roles call for: the member charter for members and
// researchers, the operator charter for operators. The ui asks it at login
// and, when false, shows the new text to sign (SignCharter).
func (s *Service) CharterCurrent(ctx context.Context, accountID string) (bool, error) {
	q := s.local(ctx)
	roles, err := rolesOf(q, accountID)
	if err != nil {
		return false, err
	}
	return chartersCurrent(q, accountID, roles, CharterVersions())
}

// Signature is a signed charter.
type Signature struct {
	Charter  CharterKind `json:"charter"`
	Version  int         `json:"version"`
	Lang     string      `json:"lang"`
	SignedAt time.Time   `json:"signed_at"`
}

func signatures(q querier, id string) ([]Signature, error) {
	rows, err := q.Query(`SELECT charter, version, lang, signed_at FROM members_charter_signatures
		WHERE account_id = ? ORDER BY signed_at, charter, version`, id)
	if err != nil {
		return nil, fmt.Errorf("read charter signatures: %w", err)
	}
	defer rows.Close()
	out := []Signature{}
	for rows.Next() {
		var sig Signature
		var at int64
		if err := rows.Scan(&sig.Charter, &sig.Version, &sig.Lang, &at); err != nil {
			return nil, fmt.Errorf("read charter signatures: %w", err)
		}
		sig.SignedAt = time.Unix(0, at).UTC()
		out = append(out, sig)
	}
	return out, rows.Err()
}

// CharterSigned is the payload of CmdCharterSigned.
type CharterSigned struct {
	Account string      `json:"account"`
	Charter CharterKind `json:"charter"`
	Version int         `json:"version"`
	Lang    string      `json:"lang"`
}

// SignCharter records that the account signed the current version of a
// charter, read in lang. The operator charter is for operators only.
func (s *Service) SignCharter(ctx context.Context, actor Account, kind CharterKind, lang string) error {
	if err := actor.Require(); err != nil {
		return err
	}
	switch kind {
	case CharterMember:
	case CharterOperator:
		if err := actor.Require(RoleOperator); err != nil {
			return err
		}
	default:
		return raftdata.Refuse(raftdata.CodeInvalid, "no_charter", "unknown charter %q: member or operator", kind)
	}
	p := CharterSigned{Account: actor.ID, Charter: kind, Version: CharterVersion(kind), Lang: charterLang(kind, lang)}
	if err := s.apply(ctx, CmdCharterSigned, p, nil); err != nil {
		return fmt.Errorf("sign charter: %w", err)
	}
	return nil
}

func applyCharterSigned(tx *raftdata.Tx, cmd raftdata.Command) (any, error) {
	var p CharterSigned
	if err := decode(cmd, &p); err != nil {
		return nil, err
	}
	if p.Charter != CharterMember && p.Charter != CharterOperator || p.Version < 1 {
		return nil, raftdata.Malformed("unknown charter %q version %d", p.Charter, p.Version)
	}
	row, err := targetIn(tx, p.Account)
	if err != nil {
		return nil, err
	}
	if row.status != StatusActive {
		return nil, ErrAccountInactive(row.status)
	}
	if p.Charter == CharterOperator {
		roles, err := rolesOf(tx, p.Account)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(roles, RoleOperator) {
			return nil, raftdata.Refuse(raftdata.CodeForbidden, "operator_charter", "the operator charter is for operators")
		}
	}
	if err := insertSignature(tx, cmd, p); err != nil {
		return nil, err
	}
	return nil, emit(tx, "charter_signed", map[string]any{"id": p.Account, "charter": p.Charter, "version": p.Version})
}

func insertSignature(tx *raftdata.Tx, cmd raftdata.Command, p CharterSigned) error {
	_, err := tx.Exec(`INSERT OR IGNORE INTO members_charter_signatures(account_id, charter, version, lang, signed_at) VALUES(?,?,?,?,?)`,
		p.Account, p.Charter, p.Version, p.Lang, nanos(cmd))
	if err != nil {
		return fmt.Errorf("record charter signature: %w", err)
	}
	return nil
}
