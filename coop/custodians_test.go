package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// custodianTestRules is an explicit rulebook for these tests (never the
// default's durations): every kind votes from 1 minute, and closes at
// once when the whole electorate has voted; electing custodians needs
// more than two thirds of yes+no.
const custodianTestRules = `{
	"voting": {
		"knowledge":  {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"},
		"reuse":      {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":50,"early_close":"all_voted"},
		"amendment":  {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":66,"early_close":"all_voted"},
		"custodians": {"min_voting_minutes":1,"max_voting_minutes":600,"quorum_percent":25,"approval_percent":66,"early_close":"all_voted"}
	},
	"disclosure": {"min_cohort_floor":5,"max_epsilon_per_proposal":2,"max_epsilon_per_pool_per_year":10},
	"retention": {"identity_months_after_deletion":3,"charter_months_after_deletion":12,"connection_log_months":12},
	"membership": {"admission":"open"}
}`

// coopMember is a member of the test coop, with the marks their data
// leaves: their name and one value of their records.
type coopMember struct {
	Name, Email, ID, Token, Value string
}

// custodianCoop is a 3-node cluster under custodianTestRules with four
// members who contributed records; the first one's operator token.
type custodianCoop struct {
	nodes   []*Node
	op      string
	members []coopMember
}

func startCustodianCoop(t *testing.T) custodianCoop {
	t.Helper()
	rules := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rules, []byte(custodianTestRules), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "n1")
	cfg.Rules = rules
	first := startNode(t, cfg)
	waitReady(t, first)
	c := custodianCoop{nodes: []*Node{first}}
	for _, id := range []string{"n2", "n3"} {
		cfg := testConfig(t, id)
		cfg.Join = first.URL()
		c.nodes = append(c.nodes, startNode(t, cfg))
	}
	for _, n := range c.nodes {
		waitReady(t, n)
	}
	url := first.URL()
	c.op = operatorToken(t, url)
	mustAPI(t, 201, "POST", url+"/api/v1/pools", c.op, `{"id":"energy","title":"Energy",
		"fields":[{"name":"kwh","type":"number","min":0,"max":100000},{"name":"heating","type":"category","values":["gas","wood"]}],
		"documentation":{"provenance":"meter readings","collection_method":"self-reported","update_frequency":"monthly","format":"CSV","pseudonymisation":"member keys"}}`)
	for i, name := range []string{"Zéphyrine Quillard", "Anatole Brisefer", "Honorine Vasseur", "Léopold Marchetti"} {
		m := coopMember{Name: name, Email: fmt.Sprintf("member%d@coop.test", i), Value: fmt.Sprintf("%d.25", 7310+i*1111)}
		var res struct{ ID string }
		jsonDecode(t, mustAPI(t, 201, "POST", url+"/api/v1/signup", "",
			fmt.Sprintf(`{"name":%q,"email":%q,"password":"plum orchard lantern 42","accept_charter":true}`, m.Name, m.Email)), &res)
		m.ID = res.ID
		m.Token = loginAs(t, url, m.Email, "plum orchard lantern 42")
		mustAPI(t, 200, "PUT", url+"/api/v1/pools/energy/consent", m.Token, `{"granted":true}`)
		mustAPI(t, 201, "POST", url+"/api/v1/pools/energy/records", m.Token, fmt.Sprintf(`[{"kwh":%s,"heating":"wood"}]`, m.Value))
		c.members = append(c.members, m)
	}
	return c
}

func mustAPI(t *testing.T, want int, method, url, token, body string) string {
	t.Helper()
	status, resp := apiCall(t, method, url, token, "application/json", body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, status, resp, want)
	}
	return resp
}

var publicKeyRE = regexp.MustCompile(`public key: (age1[0-9a-z]+)`)

// elect has members[0] propose members[1:] as custodians (k of them),
// the others vote yes, and waits until the vote is passed. Each
// custodian then makes a key pair with coop custodian keygen and
// registers it; it returns their secret key files.
func (c custodianCoop) elect(t *testing.T, k int) []string {
	t.Helper()
	url := c.nodes[0].URL()
	ids := make([]string, 0, len(c.members)-1)
	for _, m := range c.members[1:] {
		ids = append(ids, fmt.Sprintf("%q", m.ID))
	}
	var p struct{ ID string }
	jsonDecode(t, mustAPI(t, 201, "POST", url+"/api/v1/proposals", c.members[0].Token, fmt.Sprintf(`{"kind":"custodians",
		"title":"Custodians of our backups","purpose":"So that no operator alone can read a backup.",
		"voting_minutes":60,"custodians":{"threshold":%d,"accounts":[%s]}}`, k, strings.Join(ids, ","))), &p)
	// A custodians election is a secret ballot: each member takes their
	// voting token through one node and votes through another, as no one.
	for i, m := range c.members[1:] {
		voteSecretly(t, c.nodes[i%3].URL(), c.nodes[(i+1)%3].URL(), m.Token, p.ID, "yes")
	}
	waitFor(t, 10*time.Second, func() error {
		_, body := apiCall(t, "GET", url+"/api/v1/proposals/"+p.ID, "", "", "")
		if !strings.Contains(body, `"status":"passed"`) {
			return fmt.Errorf("election not passed yet: %.200s", body)
		}
		return nil
	})

	// Not yet sealed to them: their keys are missing.
	if body := mustAPI(t, 200, "GET", url+"/api/v1/governance/custodians", "", ""); !strings.Contains(body, `"backups_sealed_to":"operator"`) {
		t.Fatalf("before the keys: %s", body)
	}
	dir := t.TempDir()
	var keys []string
	for i, m := range c.members[1:] {
		keyFile := filepath.Join(dir, fmt.Sprintf("custodian-%d.key", i))
		code, stdout, stderr := backupCLI(t, "", "custodian", "keygen", "--out", keyFile)
		match := publicKeyRE.FindStringSubmatch(stdout)
		if code != 0 || match == nil {
			t.Fatalf("keygen: exit %d, %q %q", code, stdout, stderr)
		}
		if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("secret key file: %v %v", st, err)
		}
		// Registered through another node than the one that elected them.
		mustAPI(t, 200, "PUT", c.nodes[1+i%2].URL()+"/api/v1/me/custodian-key", m.Token, fmt.Sprintf(`{"public_key":%q}`, match[1]))
		keys = append(keys, keyFile)
	}
	// Someone who is not a custodian: refused, whatever the key.
	_, pub, _ := backupCLI(t, "", "custodian", "keygen", "--out", filepath.Join(dir, "intruder.key"))
	mustAPI(t, 403, "PUT", url+"/api/v1/me/custodian-key", c.members[0].Token, fmt.Sprintf(`{"public_key":%q}`, publicKeyRE.FindStringSubmatch(pub)[1]))
	mustAPI(t, 400, "PUT", url+"/api/v1/me/custodian-key", c.members[1].Token, `{"public_key":"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z"}`)
	waitFor(t, 10*time.Second, func() error {
		if body := mustAPI(t, 200, "GET", c.nodes[2].URL()+"/api/v1/governance/custodians", "", ""); !strings.Contains(body, `"backups_sealed_to":"custodians"`) {
			return fmt.Errorf("not sealed to the custodians: %s", body)
		}
		return nil
	})
	return keys
}

// openShareCLI runs coop custodian open-share on a custodian's "machine".
func openShareCLI(t *testing.T, backup, keyFile string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "share.json")
	if code, stdout, stderr := backupCLI(t, "", "custodian", "open-share", "--in", backup, "--identity", keyFile, "--out", out); code != 0 {
		t.Fatalf("open-share: exit %d, %q %q", code, stdout, stderr)
	}
	return out
}

// readsMembersRecords is what an operator who restored a backup did: a
// SQL join of accounts, member keys and records. It returns the names
// and record lines it could read.
func readsMembersRecords(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT a.name, r.data FROM members_accounts a
		JOIN pooling_member_keys k ON k.account_id = a.id JOIN pooling_records_energy r ON r.member_key = k.member_key ORDER BY a.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, data string
		if err := rows.Scan(&name, &data); err != nil {
			t.Fatal(err)
		}
		out = append(out, name+" "+data)
	}
	return out
}

// TestAttack_OperatorCannotReadBackupSealedToCustodians (issue #12, break
// 4: an operator read every member's records with names through coop
// backup, coop restore and SQL). Once the members elected custodians and
// they registered their keys, an operator holding the backup file and
// every operator secret (password, token, the old backup key, the
// cluster's files) restores nothing, and the file's bytes hold no name,
// email or record value; k custodians' shares restore a cluster whose
// data hash is the source's at the backup's index; k-1 shares, a share
// of another backup or a damaged share restore nothing, with a sentence.
// On the code before custodians, the operator's coop restore succeeded
// and the join read "Zéphyrine Quillard {"kwh":...}".
func TestAttack_OperatorCannotReadBackupSealedToCustodians(t *testing.T) {
	c := startCustodianCoop(t)
	dir := t.TempDir()
	opKey := filepath.Join(dir, "operator.key")
	if code, _, stderr := backupCLI(t, "", "backup", "--new-key", opKey); code != 0 {
		t.Fatal(stderr)
	}
	follower := c.nodes[2]

	// Before the election: sealed to the operator, who needs a key.
	if code, _, stderr := backupCLI(t, c.op, "backup", "--http", follower.URL(), "--out", filepath.Join(dir, "nokey.coopbak")); code != 1 || !strings.Contains(stderr, "sealed to the operator's key: give one") {
		t.Fatalf("backup without a key before custodians: exit %d %q", code, stderr)
	}
	custodianKeys := c.elect(t, 2)

	// The operator takes a backup with the old key: the node seals it to
	// the custodians all the same.
	if err := follower.Store().Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	source := dataHash(t, follower)
	backup := filepath.Join(dir, "sealed.coopbak")
	code, stdout, stderr := backupCLI(t, c.op, "backup", "--http", follower.URL(), "--out", backup, "--key-file", opKey)
	if code != 0 || !strings.Contains(stdout, "sealed to the custodians (custodian set 1): any 2 of the 3 open it together") ||
		!strings.Contains(stderr, "your backup key was not used") || !strings.Contains(stderr, "coop backup: received") {
		t.Fatalf("backup: exit %d, %q %q", code, stdout, stderr)
	}
	if dataHash(t, follower) != source {
		t.Fatal("the source changed during the backup: the hash comparison below would mean nothing")
	}

	t.Run("the operator reads nothing", func(t *testing.T) {
		raw, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range c.members {
			for _, mark := range []string{m.Name, m.Email, m.Value, m.ID} {
				if bytes.Contains(raw, []byte(mark)) {
					t.Errorf("the backup file holds %q in the clear", mark)
				}
			}
		}
		// Every secret the operator holds, tried as the key.
		secrets := map[string]string{"the old backup key": opKey}
		for name, value := range map[string]string{"the operator's password": testOperatorPassword, "the operator's token": c.op} {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			os.WriteFile(p, []byte(value), 0o600)
			secrets[name] = p
		}
		for _, n := range c.nodes {
			entries, _ := os.ReadDir(n.Config.Data)
			for _, e := range entries {
				if strings.Contains(e.Name(), "key") || strings.Contains(e.Name(), "operator") {
					secrets["node file "+e.Name()] = filepath.Join(n.Config.Data, e.Name())
				}
			}
		}
		for name, keyFile := range secrets {
			target := filepath.Join(t.TempDir(), "restored")
			code, _, stderr := backupCLI(t, "", "restore", "--in", backup, "--key-file", keyFile, "--data", target)
			if code != 1 {
				t.Fatalf("restore with %s: exit %d %q", name, code, stderr)
			}
			if _, err := os.Stat(target); err == nil {
				t.Fatalf("restore with %s left %s", name, target)
			}
			if name == "the old backup key" && !strings.Contains(stderr, "no operator key opens it") {
				t.Fatalf("restore with the operator's key: %q", stderr)
			}
		}
	})

	shares := make([]string, len(custodianKeys))
	for i, k := range custodianKeys {
		shares[i] = openShareCLI(t, backup, k)
	}

	t.Run("k-1 shares and wrong shares restore nothing", func(t *testing.T) {
		other := filepath.Join(dir, "other.coopbak")
		if code, _, stderr := backupCLI(t, c.op, "backup", "--http", c.nodes[0].URL(), "--out", other); code != 0 {
			t.Fatal(stderr)
		}
		foreign := openShareCLI(t, other, custodianKeys[1])
		raw, _ := os.ReadFile(shares[1])
		damaged := filepath.Join(dir, "damaged.json")
		os.WriteFile(damaged, regexp.MustCompile(`"value":"(.)`).ReplaceAllFunc(raw, func(b []byte) []byte {
			if b[len(b)-1] == 'A' {
				return append(b[:len(b)-1], 'B')
			}
			return append(b[:len(b)-1], 'A')
		}), 0o600)
		cases := []struct {
			name, shares, want string
		}{
			{"k-1 shares", shares[0], "opens with the shares of any 2 of its 3 custodians, and 1 was given"},
			{"one share twice", shares[0] + "," + shares[0], "and 1 was given"},
			{"a share of another backup", shares[0] + "," + foreign, "is a share of another backup"},
			{"a damaged share", shares[0] + "," + damaged, "do not open this backup"},
			{"a key file as a share", shares[0] + "," + custodianKeys[1], "not a backup share"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				target := filepath.Join(t.TempDir(), "restored")
				code, _, stderr := backupCLI(t, "", "restore", "--in", backup, "--shares", tc.shares, "--data", target)
				if code != 1 || !strings.Contains(stderr, tc.want) {
					t.Fatalf("exit %d %q, want 1 and %q", code, stderr, tc.want)
				}
				if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) > 0 {
					t.Fatalf("a refused restore left %v", entries)
				}
			})
		}
	})

	t.Run("k custodians restore", func(t *testing.T) {
		restored := filepath.Join(t.TempDir(), "restored")
		code, stdout, stderr := backupCLI(t, "", "restore", "--in", backup, "--shares", shares[2]+","+shares[0], "--data", restored)
		if code != 0 || !strings.Contains(stdout, "restored the backup of index") || !strings.Contains(stderr, "coop restore: read") {
			t.Fatalf("restore with 2 shares: exit %d %q %q", code, stdout, stderr)
		}
		cfg := testConfig(t, "r1")
		cfg.Data = restored
		r1 := startNode(t, cfg)
		waitReady(t, r1)
		if h := dataHash(t, r1); h != source {
			t.Fatalf("restored data hash %.12s, source %.12s", h, source)
		}
		// The marks searched for above are in the data: the search meant something.
		got := strings.Join(readsMembersRecords(t, r1.Store().DB()), "\n")
		for _, m := range c.members {
			if !strings.Contains(got, m.Name) || !strings.Contains(got, m.Value) {
				t.Fatalf("restored records lack %s / %s:\n%s", m.Name, m.Value, got)
			}
		}
	})
}
