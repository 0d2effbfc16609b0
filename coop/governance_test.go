package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coop/proposals"
)

// The governance of issue 15 through three real nodes: proxies, secret
// ballots, colleges and the double majority, guests, turnout. Members act
// through different nodes, as they would behind a load balancer.

// govTestRules: every kind votes from 1 minute and closes at once when
// the whole electorate has voted; open admission; three colleges; two
// proxies a member.
const govTestRules = `{
	"voting": {
		"knowledge":  {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"},
		"reuse":      {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted","double_majority":true},
		"amendment":  {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":66,"early_close":"all_voted","secret":true},
		"custodians": {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":66,"early_close":"all_voted","secret":true}
	},
	"membership": {"admission":"open"},
	"proxies": {"max_per_holder":2},
	"colleges": [{"name":"users","weight_percent":50},{"name":"producers","weight_percent":30},{"name":"partners","weight_percent":20}]
}`

// govCoop is a 3-node cluster under govTestRules, each node's logs kept,
// with a pool and a researcher.
type govCoop struct {
	nodes      []*Node
	logs       []*syncBuffer
	op         string
	researcher string
}

func startGovCoop(t *testing.T) *govCoop {
	t.Helper()
	rules := writeRules(t, govTestRules)
	g := &govCoop{}
	for i, id := range []string{"n1", "n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.Rules = rules
		if i > 0 {
			cfg.Join = g.nodes[0].URL()
		}
		buf := &syncBuffer{}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		n := NewNode(cfg, buf)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := n.Start(ctx)
		cancel()
		if err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
		t.Cleanup(func() { n.Close() })
		g.nodes, g.logs = append(g.nodes, n), append(g.logs, buf)
		waitReady(t, n)
	}
	url := g.url(0)
	g.op = operatorToken(t, url)
	mustAPI(t, 201, "POST", url+"/api/v1/pools", g.op, `{"id":"health","title":"Health",
		"fields":[{"name":"steps","type":"number","min":0,"max":100000}],
		"documentation":{"provenance":"watches","collection_method":"self-reported","update_frequency":"daily","format":"JSON","pseudonymisation":"member keys"}}`)
	id, tok := mustSignup(t, url, "Rosalind")
	must(t, 200, "POST", url+"/api/v1/members/"+id+"/roles", g.op, `{"role":"researcher"}`)
	g.researcher = tok
	return g
}

func (g *govCoop) url(i int) string { return g.nodes[i%len(g.nodes)].URL() }

// member signs name up through node i and logs in: id and token.
func (g *govCoop) member(t *testing.T, i int, name string) (string, string) {
	t.Helper()
	return mustSignup(t, g.url(i), name)
}

// propose opens a proposal of kind on the health pool as the researcher.
func (g *govCoop) propose(t *testing.T, kind string) string {
	t.Helper()
	extra := ""
	if kind == "reuse" {
		extra = `,"organisation":"Santé publique"`
	}
	var p struct{ ID string }
	jsonDecode(t, must(t, 201, "POST", g.url(1)+"/api/v1/proposals", g.researcher, `{"title":"Steps and sleep","purpose":"Learn how much members walk.",
		"kind":"`+kind+`","pool":"health","query":{"aggregate":"count"},"privacy":{"min_cohort":5,"epsilon_total":1,"epsilon_per_query":0.5},
		"voting_minutes":600,"grant_days":30`+extra+`}`), &p)
	return p.ID
}

// proposal reads a proposal through node i.
func (g *govCoop) proposal(t *testing.T, i int, id string) proposalAnswer {
	t.Helper()
	var p proposalAnswer
	jsonDecode(t, must(t, 200, "GET", g.url(i)+"/api/v1/proposals/"+id, "", ""), &p)
	return p
}

type proposalAnswer struct {
	Status        string
	Reason        string
	Secret        bool
	Participation *int
	Tally         *struct {
		Yes, No, Abstain, Electorate, Proxied int
		TokensIssued                          int `json:"tokens_issued"`
		InScope                               *struct {
			Majority bool
		} `json:"in_scope"`
		Colleges []struct {
			Name                                 string
			Yes, No, Abstain, Electorate, Weight int
		}
	}
}

// waitStatus waits until proposal id shows status on every node.
func (g *govCoop) waitStatus(t *testing.T, id, status string) proposalAnswer {
	t.Helper()
	var p proposalAnswer
	waitFor(t, 10*time.Second, func() error {
		for i := range g.nodes {
			if p = g.proposal(t, i, id); p.Status != status {
				return fmt.Errorf("node %d: %s (%s), want %s", i, p.Status, p.Reason, status)
			}
		}
		return nil
	})
	return p
}

// TestCluster3_ProxiesThroughTheAPI: members give their vote through one
// node and vote through another; the cap, the electorate and a giver's
// own ballot hold; the tally counts each vote once and the published list
// marks the proxied lines with both receipts.
func TestCluster3_ProxiesThroughTheAPI(t *testing.T) {
	g := startGovCoop(t)
	type m struct{ id, tok string }
	var ms []m
	for i, name := range []string{"Alba", "Bruno", "Chiara", "Dario", "Elena"} {
		id, tok := g.member(t, i, name)
		ms = append(ms, m{id, tok})
	}
	p := g.propose(t, "knowledge")
	late, _ := g.member(t, 2, "Latecomer")
	pp := "/api/v1/proposals/" + p + "/proxy"
	give := func(i, node, holder int) string {
		return must(t, 200, "PUT", g.url(node)+pp, ms[i].tok, `{"to":"`+ms[holder].id+`"}`)
	}
	var alba struct{ Given struct{ Receipt string } }
	jsonDecode(t, give(0, 1, 3), &alba)
	give(1, 2, 3)
	refused(t, 409, "PUT", g.url(0)+pp, ms[2].tok, `{"to":"`+ms[3].id+`"}`, "carries 2 proxies")
	refused(t, 400, "PUT", g.url(0)+pp, ms[2].tok, `{"to":"`+late+`"}`, "not in the electorate")
	refused(t, 400, "PUT", g.url(0)+pp, ms[2].tok, `{"to":"`+ms[2].id+`"}`, "another member")
	// Dario votes through node 3: he carries Alba and Bruno.
	var dario struct {
		ReceiptHash string `json:"receipt_hash"`
		Carries     int
	}
	jsonDecode(t, must(t, 201, "POST", g.url(2)+"/api/v1/proposals/"+p+"/ballots", ms[3].tok, `{"choice":"yes"}`), &dario)
	if dario.Carries != 2 {
		t.Fatalf("Dario carries %d votes", dario.Carries)
	}
	// Bruno votes no himself; Chiara gives to Elena; Elena abstains.
	must(t, 201, "POST", g.url(0)+"/api/v1/proposals/"+p+"/ballots", ms[1].tok, `{"choice":"no"}`)
	give(2, 1, 4)
	waitFor(t, 5*time.Second, func() error {
		if n := g.proposal(t, 2, p).Participation; n == nil || *n != 3 {
			return fmt.Errorf("participation %v, want 3 (Dario, Alba through him, Bruno)", n)
		}
		return nil
	})
	must(t, 201, "POST", g.url(2)+"/api/v1/proposals/"+p+"/ballots", ms[4].tok, `{"choice":"abstain"}`)
	// Everyone's vote counts now (Chiara's through Elena): the vote
	// closes at once, with the researcher's electorate of five.
	got := g.waitStatus(t, p, "passed")
	if tl := got.Tally; tl == nil || tl.Yes != 2 || tl.No != 1 || tl.Abstain != 2 || tl.Proxied != 2 || tl.Electorate != 5 {
		t.Fatalf("tally %+v", got.Tally)
	}
	var list struct {
		Ballots []proposals.PublishedBallot
	}
	jsonDecode(t, must(t, 200, "GET", g.url(1)+"/api/v1/proposals/"+p+"/ballots", ms[0].tok, ""), &list)
	lines := map[string]proposals.PublishedBallot{}
	carried := 0
	for _, b := range list.Ballots {
		lines[b.ReceiptHash] = b
		if b.HolderReceiptHash == dario.ReceiptHash {
			carried++
		}
	}
	if a := lines[proposals.ReceiptHash(alba.Given.Receipt)]; len(list.Ballots) != 5 || !a.Proxy || a.Choice != "yes" || a.HolderReceiptHash != dario.ReceiptHash || carried != 1 {
		t.Fatalf("published list %+v (Alba's line %+v, Dario's receipt carries %d)", list.Ballots, a, carried)
	}
	refused(t, 409, "PUT", g.url(0)+pp, ms[2].tok, `{"to":"`+ms[3].id+`"}`, "closed")

	// A standing proxy reaches the next vote.
	must(t, 200, "PUT", g.url(0)+"/api/v1/me/proxy", ms[0].tok, `{"to":"`+ms[3].id+`"}`)
	next := g.propose(t, "knowledge")
	var view struct {
		Given *struct{ Standing bool }
	}
	jsonDecode(t, must(t, 200, "GET", g.url(2)+"/api/v1/proposals/"+next+"/proxy", ms[0].tok, ""), &view)
	if view.Given == nil || !view.Given.Standing {
		t.Fatalf("the standing proxy on the next vote: %+v", view.Given)
	}
	// Turnout: one closed knowledge vote, everyone voted.
	var turnout struct {
		Kinds map[string]struct {
			Votes  int `json:"votes"`
			Median int `json:"median_turnout_percent"`
		}
	}
	jsonDecode(t, must(t, 200, "GET", g.url(2)+"/api/v1/governance/turnout", "", ""), &turnout)
	if k := turnout.Kinds["knowledge"]; k.Votes != 1 || k.Median != 100 {
		t.Fatalf("turnout %+v", turnout.Kinds)
	}
}

// secretVoter is what a test knows of a member who votes secretly: their
// identity, and the marks of their ballot.
type secretVoter struct {
	name, id, token, email string
	pseudonym, ballotKey   string
	choice                 string
}

// castSecretly votes as `coop vote` does (the CLI, in-process): the token
// taken through node take with the member's credential, the ballot sent
// through node cast without any.
func (g *govCoop) castSecretly(t *testing.T, v *secretVoter, proposal, choice string, take, cast int) {
	t.Helper()
	f := voteSecretly(t, g.url(take), g.url(cast), v.token, proposal, choice)
	v.pseudonym, v.ballotKey, v.choice = f.Pseudonym, f.Token.BallotKey, choice
}

// voteSecretly runs `coop vote --take-only` against takeURL with token,
// then `coop vote` against castURL with the token file alone, and returns
// the file.
func voteSecretly(t *testing.T, takeURL, castURL, token, proposal, choice string) proposals.TokenFile {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token.json")
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"vote", "--http", takeURL, "--proposal", proposal, "--take-only", "--token-file", file}, envOf(map[string]string{"COOP_TOKEN": token}), &out, &errs); code != 0 {
		t.Fatalf("coop vote --take-only: %d %s", code, errs.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"vote", "--http", castURL, "--proposal", proposal, "--choice", choice, "--token-file", file}, envOf(nil), &out, &errs); code != 0 {
		t.Fatalf("coop vote: %d %s", code, errs.String())
	}
	var f proposals.TokenFile
	data, _ := os.ReadFile(file)
	jsonDecode(t, string(data), &f)
	if !strings.Contains(out.String(), f.Pseudonym) || len(f.Pseudonym) != 32 || f.Seq != 1 || f.Choice != choice {
		t.Fatalf("coop vote said %q; the file holds %+v", out.String(), f)
	}
	return f
}

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// TestCluster3_Attack_SecretBallotLeavesNoLink: members take their voting
// tokens through one node and cast secret ballots through another, with
// `coop vote`. Someone who copies every file of every node (SQLite files,
// WALs, the Raft log, snapshots, NATS) and reads every log line finds no
// record that names a member and their ballot: during the vote no log
// entry, table row or log line holds both; after the close and its
// compaction no 4 KiB page of any file holds both. A second token for one
// member, a ballot with a token the vote did not sign, and a ballot sent
// with a credential are refused; the published list checks out against
// the vote's public key.
func TestCluster3_Attack_SecretBallotLeavesNoLink(t *testing.T) {
	g := startGovCoop(t)
	var voters []*secretVoter
	for i, name := range []string{"Zephyrine", "Anatole", "Honorine", "Leopold"} {
		id, tok := g.member(t, i, name)
		voters = append(voters, &secretVoter{name: name, id: id, token: tok, email: strings.ToLower(name) + "@coop.test"})
	}
	proposer, proposerTok := g.member(t, 0, "Proposer")
	_ = proposer
	var am struct{ ID string }
	jsonDecode(t, must(t, 201, "POST", g.url(0)+"/api/v1/proposals", proposerTok, `{"title":"Keep our rules","purpose":"The rulebook as it is.",
		"kind":"amendment","rules":{"membership":{"admission":"open"}},"voting_minutes":600}`), &am)
	if p := g.proposal(t, 1, am.ID); !p.Secret {
		t.Fatal("the amendment is not a secret ballot")
	}
	// An open ballot on a secret vote is refused.
	refused(t, 409, "POST", g.url(1)+"/api/v1/proposals/"+am.ID+"/ballots", voters[0].token, `{"choice":"yes"}`, "voting token")
	choices := []string{"yes", "no", "yes", "yes"}
	for i, v := range voters[:3] {
		g.castSecretly(t, v, am.ID, choices[i], i, i+1)
	}
	// One token each.
	var sv struct{ Votes []proposals.SecretVote }
	jsonDecode(t, must(t, 200, "GET", g.url(2)+"/api/v1/me/secret-votes", voters[0].token, ""), &sv)
	if len(sv.Votes) != 1 || !sv.Votes[0].Taken {
		t.Fatalf("secret votes %+v", sv.Votes)
	}
	pub, _ := proposals.ParseTokenKey(sv.Votes[0].PublicKey)
	_, blinded, _ := proposals.RequestToken(am.ID, sv.Votes[0].College, pub)
	refused(t, 409, "POST", g.url(1)+"/api/v1/proposals/"+am.ID+"/voting-token", voters[0].token, fmt.Sprintf(`{"blinded":%q}`, b64(blinded)), "one each")
	// A token the vote did not sign.
	forged, _ := json.Marshal(proposals.SecretBallot{College: sv.Votes[0].College, BallotKey: voters[0].ballotKey, Signature: b64(make([]byte, 256)),
		Choice: "no", Seq: 9, ReceiptHash: strings.Repeat("ab", 32), Proof: b64(make([]byte, 64))})
	refused(t, 403, "POST", g.url(2)+"/api/v1/proposals/"+am.ID+"/secret-ballots", "", string(forged), "not signed")
	// A ballot sent with a credential is refused before the credential
	// is looked up.
	refused(t, 400, "POST", g.url(2)+"/api/v1/proposals/"+am.ID+"/secret-ballots", voters[0].token, string(forged), "without any credential")

	// During the vote: no record names a voter and holds their ballot.
	noRecordLinks(t, g, voters[:3])

	g.castSecretly(t, voters[3], am.ID, choices[3], 2, 0)
	// The researcher is a member too: the last of the electorate.
	g.castSecretly(t, &secretVoter{name: "Rosalind", token: g.researcher}, am.ID, "abstain", 1, 2)
	got := g.waitStatus(t, am.ID, "passed")
	if tl := got.Tally; tl == nil || tl.Yes != 3 || tl.No != 1 || tl.Abstain != 1 || tl.TokensIssued != 5 {
		t.Fatalf("tally %+v", got.Tally)
	}
	// The published list: each line checks against the vote's public key.
	var list struct {
		Ballots      []proposals.PublishedBallot
		PublicKeys   map[string]string `json:"public_keys"`
		TokensIssued map[string]int    `json:"tokens_issued"`
	}
	jsonDecode(t, must(t, 200, "GET", g.url(1)+"/api/v1/proposals/"+am.ID+"/ballots", voters[1].token, ""), &list)
	if len(list.Ballots) != 5 || len(list.PublicKeys) != 3 || list.TokensIssued["users"] != 5 {
		t.Fatalf("published %+v", list)
	}
	for _, b := range list.Ballots {
		key, err := proposals.ParseTokenKey(list.PublicKeys[b.College])
		if err != nil {
			t.Fatal(err)
		}
		if err := proposals.CheckPublished(am.ID, key, b); err != nil {
			t.Fatalf("line %+v: %v", b, err)
		}
	}
	// After the close and its compaction.
	waitFor(t, 60*time.Second, func() error { return afterCompaction(g, voters) })
	for i, l := range g.logs {
		for _, v := range voters {
			if strings.Contains(l.String(), v.ballotKey) || strings.Contains(l.String(), v.pseudonym) {
				t.Errorf("node %d's log holds %s's ballot", i+1, v.name)
			}
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// sqliteRecords reads every row of every table of the SQLite file at path
// (read-only, beside the running node), each as one text.
func sqliteRecords(t *testing.T, path string) []string {
	t.Helper()
	recs, err := readRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// sqliteRecordsErr is sqliteRecords for a poll: nothing when it cannot read.
func sqliteRecordsErr(path string) []string {
	recs, _ := readRecords(path)
	return recs
}

func readRecords(path string) ([]string, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var out []string
	for _, tbl := range tables {
		r, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tbl, err)
		}
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return nil, err
			}
			var b strings.Builder
			for _, v := range vals {
				switch x := v.(type) {
				case string:
					b.WriteString(x + " ")
				case []byte:
					b.Write(x)
					b.WriteByte(' ')
				}
			}
			out = append(out, tbl+": "+b.String())
		}
		r.Close()
	}
	return out, nil
}

// noRecordLinks reads every node's Raft log entries, every row of every
// table and every log line: none holds a voter's account id, email, name,
// session token or its hash together with their ballot key or pseudonym.
func noRecordLinks(t *testing.T, g *govCoop, voters []*secretVoter) {
	t.Helper()
	links := func(text string) string {
		for _, v := range voters {
			session := sha256.Sum256([]byte(v.token)) // how the state and the log name a session
			who := strings.Contains(text, v.id) || strings.Contains(text, v.email) || strings.Contains(text, v.name) ||
				strings.Contains(text, v.token) || strings.Contains(text, hex.EncodeToString(session[:]))
			what := strings.Contains(text, v.ballotKey) || strings.Contains(text, v.pseudonym)
			if who && what {
				return v.name
			}
		}
		return ""
	}
	for i, n := range g.nodes {
		dir := filepath.Join(n.Config.Data, "raft")
		for _, db := range []string{"raft.db", "state.db"} {
			for _, rec := range sqliteRecords(t, filepath.Join(dir, db)) {
				if who := links(rec); who != "" {
					t.Errorf("node %d, %s: a record links %s to their ballot: %.300s", i+1, db, who, rec)
				}
			}
		}
		for _, line := range strings.Split(g.logs[i].String(), "\n") {
			if who := links(line); who != "" {
				t.Errorf("node %d's log links %s to their ballot: %s", i+1, who, line)
			}
		}
	}
}

// afterCompaction checks every node once the close's compaction ran: the
// Raft log (raft.db and its WAL) and the NATS store hold no ballot key or
// pseudonym any more (the log's order, which kept when each token was
// taken and each ballot cast, is gone with it); no row of the state
// holds a voter's identity with their ballot.
func afterCompaction(g *govCoop, voters []*secretVoter) error {
	for _, n := range g.nodes {
		var found error
		filepath.Walk(n.Config.Data, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || found != nil {
				return nil
			}
			base := filepath.Base(path)
			inLog := strings.HasPrefix(base, "raft.db")
			inNATS := strings.Contains(path, string(filepath.Separator)+"nats"+string(filepath.Separator))
			if !inLog && !inNATS {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for _, v := range voters {
				if bytes.Contains(data, []byte(v.ballotKey)) || bytes.Contains(data, []byte(v.pseudonym)) {
					found = fmt.Errorf("%s still holds %s's ballot", path, v.name)
				}
			}
			return nil
		})
		if found != nil {
			return found
		}
		for _, rec := range sqliteRecordsErr(filepath.Join(n.Config.Data, "raft", "state.db")) {
			for _, v := range voters {
				if v.id != "" && strings.Contains(rec, v.id) && (strings.Contains(rec, v.ballotKey) || strings.Contains(rec, v.pseudonym)) {
					return fmt.Errorf("a row links %s to their ballot: %.200s", v.name, rec)
				}
			}
		}
	}
	return nil
}

// TestCluster3_CollegesAndDoubleMajority: an operator assigns colleges
// through the API; a reuse vote weighs them and needs the members whose
// data is in scope (consenting when it opened); the tally says whether
// they approved and never how many they are, nor do the pages, the events
// or the logs.
func TestCluster3_CollegesAndDoubleMajority(t *testing.T) {
	g := startGovCoop(t)
	type m struct{ id, tok string }
	var ms []m
	colleges := []string{"users", "users", "producers", "producers", "partners"}
	for i := range colleges {
		id, tok := g.member(t, i, fmt.Sprintf("Member%d", i))
		ms = append(ms, m{id, tok})
		must(t, 200, "PUT", g.url(i+1)+"/api/v1/members/"+id+"/college", g.op, `{"college":"`+colleges[i]+`"}`)
	}
	refused(t, 400, "PUT", g.url(0)+"/api/v1/members/"+ms[0].id+"/college", g.op, `{"college":"bakers"}`, "no college")
	refused(t, 403, "PUT", g.url(0)+"/api/v1/members/"+ms[1].id+"/college", ms[0].tok, `{"college":"users"}`)
	var me struct{ College string }
	jsonDecode(t, must(t, 200, "GET", g.url(2)+"/api/v1/me", ms[2].tok, ""), &me)
	if me.College != "producers" {
		t.Fatalf("/me college %q", me.College)
	}
	// Members 0 and 2 consent to the health pool: in scope.
	for _, i := range []int{0, 2} {
		must(t, 200, "PUT", g.url(i)+"/api/v1/pools/health/consent", ms[i].tok, `{"granted":true}`)
	}
	p := g.propose(t, "reuse")
	// Everyone says yes but the two in scope.
	for i, ch := range []string{"no", "yes", "no", "yes", "yes"} {
		must(t, 201, "POST", g.url(i)+"/api/v1/proposals/"+p+"/ballots", ms[i].tok, `{"choice":"`+ch+`"}`)
	}
	got := g.waitStatus(t, p, "rejected")
	tl := got.Tally
	if tl == nil || tl.InScope == nil || tl.InScope.Majority || tl.Yes != 3 || len(tl.Colleges) != 3 {
		t.Fatalf("tally %+v (%s)", tl, got.Reason)
	}
	raw := must(t, 200, "GET", g.url(1)+"/api/v1/proposals/"+p, "", "")
	var generic map[string]any
	json.Unmarshal([]byte(raw), &generic)
	inScope := generic["tally"].(map[string]any)["in_scope"].(map[string]any)
	if len(inScope) != 1 {
		t.Fatalf("in_scope says more than its majority: %v", inScope)
	}
	page := must(t, 200, "GET", g.url(0)+"/proposals/"+p, "", "")
	if !strings.Contains(page, `data-testid="tally-in-scope"`) {
		t.Fatal("the page does not say whether the members in scope approved")
	}
	for i, l := range g.logs {
		if strings.Contains(l.String(), "in_scope") && !strings.Contains(l.String(), `"in_scope":{"majority":false}`) {
			t.Errorf("node %d's log speaks of the members in scope", i+1)
		}
	}
}

// TestCluster3_GuestReadsOnly: an operator invites a guest through one
// node; the guest logs in through another with the password shown once,
// reads proposals and discussions (and the ballot list once published:
// 409 while the vote is open, like everyone), and gets 403 for a ballot,
// consent, records, a proxy and a comment. The password is in no log.
func TestCluster3_GuestReadsOnly(t *testing.T) {
	g := startGovCoop(t)
	_, tok := g.member(t, 0, "Member")
	p := g.propose(t, "knowledge")
	var inv struct {
		SignIn struct{ Email, Password string } `json:"sign_in"`
	}
	jsonDecode(t, must(t, 201, "POST", g.url(1)+"/api/v1/guests", g.op, `{"name":"Gaspard","email":"gaspard@coop.test","days":3}`), &inv)
	guest := loginAs(t, g.url(2), inv.SignIn.Email, inv.SignIn.Password)
	must(t, 200, "GET", g.url(0)+"/api/v1/proposals/"+p, guest, "")
	must(t, 200, "GET", g.url(0)+"/api/v1/proposals/"+p+"/comments", guest, "")
	refused(t, http.StatusConflict, "GET", g.url(1)+"/api/v1/proposals/"+p+"/ballots", guest, "")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/proposals/" + p + "/ballots", `{"choice":"yes"}`},
		{"PUT", "/api/v1/pools/health/consent", `{"granted":true}`},
		{"POST", "/api/v1/pools/health/records", `[{"steps":5}]`},
		{"PUT", "/api/v1/proposals/" + p + "/proxy", `{"to":"x"}`},
		{"POST", "/api/v1/proposals/" + p + "/comments", `{"body":"hello"}`},
	} {
		refused(t, http.StatusForbidden, c.method, g.url(1)+c.path, guest, c.body)
	}
	must(t, 201, "POST", g.url(1)+"/api/v1/proposals/"+p+"/ballots", tok, `{"choice":"yes"}`)
	for i, l := range g.logs {
		if strings.Contains(l.String(), inv.SignIn.Password) {
			t.Errorf("node %d logged the guest's password", i+1)
		}
	}
}
