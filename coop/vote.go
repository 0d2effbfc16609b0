package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"coop/proposals"
)

// voteTimeout bounds each call of `coop vote`.
const voteTimeout = 30 * time.Second

const voteUsage = `Usage: coop vote --proposal ID [--choice yes|no|abstain] [--token-file FILE] [--take-only] [--http URL]

Casts a ballot. COOP_TOKEN (a session, or an API token with the vote scope)
is the member's credential.

On an open ballot, the ballot is cast as the member.

On a secret ballot, the member's voting token is taken once, with
COOP_TOKEN, and kept in --token-file (default coop-ballot-ID.json, the
same shape as the file a browser downloads, readable by the member only);
the ballot is then sent with that token and without any credential, so
that nothing coop keeps ties it to the member. --take-only takes the token
and stops: vote later, at another time, from the file alone.

Flags:
`

// runVote is `coop vote`.
func runVote(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, node := clientFlags("coop vote", getenv)
	id := fs.String("proposal", "", "the proposal's `ID`")
	choice := fs.String("choice", "", "yes, no or abstain")
	file := fs.String("token-file", "", "where the voting token of a secret ballot is kept (default coop-ballot-ID.json)")
	takeOnly := fs.Bool("take-only", false, "take the voting token of a secret ballot, and do not vote yet")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, voteUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop vote: %v\n", err)
		return exitUsage
	}
	if *id == "" || !*takeOnly && *choice != "yes" && *choice != "no" && *choice != "abstain" {
		fmt.Fprintln(stderr, "coop vote: --proposal is required, and --choice yes, no or abstain (unless --take-only)")
		return exitUsage
	}
	target, err := node.target()
	if err != nil {
		fmt.Fprintf(stderr, "coop vote: %v\n", err)
		return exitUsage
	}
	if *file == "" {
		*file = "coop-ballot-" + *id + ".json"
	}
	v := voter{target: target, client: target.client(voteTimeout)}
	out, err := v.vote(ctx, *id, *choice, *file, *takeOnly)
	if err != nil {
		fmt.Fprintf(stderr, "coop vote: %v\n", err)
		return exitError
	}
	fmt.Fprint(stdout, out)
	return exitOK
}

// voter is `coop vote` talking to a node.
type voter struct {
	target nodeTarget
	client *http.Client
}

// vote casts the ballot the way the proposal takes it, and says what
// happened in words.
func (v voter) vote(ctx context.Context, id, choice, file string, takeOnly bool) (string, error) {
	var p struct {
		Secret bool   `json:"secret"`
		Status string `json:"status"`
	}
	if err := v.call(ctx, "GET", "/api/v1/proposals/"+id, false, nil, &p); err != nil {
		return "", err
	}
	if !p.Secret {
		if takeOnly {
			return "", errors.New("this vote is not secret: there is no voting token to take")
		}
		var r proposals.Receipt
		if err := v.call(ctx, "POST", "/api/v1/proposals/"+id+"/ballots", true, map[string]string{"choice": choice}, &r); err != nil {
			return "", err
		}
		return fmt.Sprintf("Your ballot (%s) is recorded.\nYour receipt, shown once: %s\nThe published list will show it as %s.\n", choice, r.Receipt, r.ReceiptHash), nil
	}
	tok, f, err := v.token(ctx, id, file)
	if err != nil {
		return "", err
	}
	if takeOnly {
		return fmt.Sprintf("Your voting token is in %s. Vote later with: coop vote --proposal %s --choice yes|no|abstain --token-file %s\n", file, id, file), nil
	}
	receipt := newReceipt()
	b, err := tok.Ballot(choice, f.Seq+1, receipt)
	if err != nil {
		return "", err
	}
	var r proposals.SecretReceipt
	if err := v.call(ctx, "POST", "/api/v1/proposals/"+id+"/secret-ballots", false, b, &r); err != nil {
		return "", err
	}
	f.Seq, f.Choice, f.Receipt, f.Pseudonym = r.Seq, choice, receipt, r.Pseudonym
	if err := writeTokenFile(file, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("Your secret ballot (%s) is recorded, sent without your credential.\nYour receipt: %s (kept in %s)\nIts pseudonym in the published list: %s\n", choice, receipt, file, r.Pseudonym), nil
}

// token reads the voting token from file, or takes it with COOP_TOKEN and
// writes the file first.
func (v voter) token(ctx context.Context, id, file string) (*proposals.BallotToken, proposals.TokenFile, error) {
	var f proposals.TokenFile
	if data, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, f, fmt.Errorf("%s: %v", file, err)
		}
		if f.Proposal != id {
			return nil, f, fmt.Errorf("%s holds the voting token of proposal %s, not %s", file, f.Proposal, id)
		}
		tok, err := f.BallotToken()
		return tok, f, err
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, f, err
	}
	if v.target.Token == "" {
		return nil, f, errors.New("COOP_TOKEN is needed to take your voting token (once; then the token file is enough)")
	}
	var list struct {
		Votes []proposals.SecretVote `json:"votes"`
	}
	if err := v.call(ctx, "GET", "/api/v1/me/secret-votes", true, nil, &list); err != nil {
		return nil, f, err
	}
	for _, sv := range list.Votes {
		if sv.Proposal != id {
			continue
		}
		if sv.Taken {
			return nil, f, fmt.Errorf("you took your voting token for this vote already, elsewhere: use the file your browser downloaded (--token-file)")
		}
		tok, err := proposals.TakeToken(sv, func(blinded []byte) ([]byte, error) {
			var out struct {
				BlindSignature string `json:"blind_signature"`
			}
			if err := v.call(ctx, "POST", "/api/v1/proposals/"+id+"/voting-token", true, map[string]string{"blinded": base64.StdEncoding.EncodeToString(blinded)}, &out); err != nil {
				return nil, err
			}
			return base64.StdEncoding.DecodeString(out.BlindSignature)
		})
		if err != nil {
			return nil, f, err
		}
		f = tok.File()
		return tok, f, writeTokenFile(file, f)
	}
	return nil, f, fmt.Errorf("proposal %s is no open secret vote of yours", id)
}

func writeTokenFile(path string, f proposals.TokenFile) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func newReceipt() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// call sends one JSON request; withCredential adds COOP_TOKEN (a secret
// ballot never does). An error answer becomes an error with its sentence.
func (v voter) call(ctx context.Context, method, path string, withCredential bool, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	t := v.target
	if !withCredential {
		t.Token = ""
	}
	ctx, cancel := context.WithTimeout(ctx, voteTimeout)
	defer cancel()
	req, err := t.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Message string }
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%d)", e.Error.Message, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
