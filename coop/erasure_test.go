package main

import (
	"coop/raftdata/raftdatatest"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiCall sends a JSON (or CSV) request with a Bearer token and returns the
// status and body.
func apiCall(t testing.TB, method, url, token, contentType, body string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiMust returns a caller of the JSON API at url that fails the test on
// any status but the one it wants, and returns the body.
func apiMust(t testing.TB, url string) func(want int, method, path, token, body string) string {
	return func(want int, method, path, token, body string) string {
		t.Helper()
		status, resp := apiCall(t, method, url+path, token, "application/json", body)
		if status != want {
			t.Fatalf("%s %s: %d %s", method, path, status, resp)
		}
		return resp
	}
}

func loginAs(t testing.TB, url, email, password string) string {
	t.Helper()
	status, body := apiCall(t, "POST", url+"/api/v1/login", "", "application/json", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	if status != 200 {
		t.Fatalf("login %s: %d %s", email, status, body)
	}
	var out struct{ Token string }
	jsonDecode(t, body, &out)
	return out.Token
}

// TestCluster3_DeleteMeErasesPooledDataFromEveryFile: a member contributes
// records (by CSV) that carry a unique marker, then deletes their account
// through DELETE /api/v1/me on another node. Within 60 s, after the
// compaction the erasure triggers on every node, the marker is in no file
// of any node's data directory: SQLite files, WALs, Raft log, snapshots.
func TestCluster3_DeleteMeErasesPooledDataFromEveryFile(t *testing.T) {
	nodes := startCluster3(t)
	first := nodes[0]
	op := operatorToken(t, first.URL())
	status, body := apiCall(t, "POST", first.URL()+"/api/v1/pools", op, "application/json", `{"id":"mobility","title":"Mobility",
		"fields":[{"name":"km","type":"number","min":0,"max":100000},{"name":"mode","type":"category","values":["bike","car","bus"]}],
		"documentation":{"provenance":"members' trip logs","collection_method":"self-reported","update_frequency":"weekly","format":"CSV","pseudonymisation":"member keys"}}`)
	if status != 201 {
		t.Fatalf("create pool: %d %s", status, body)
	}
	url := nodes[1].URL()
	status, body = apiCall(t, "POST", url+"/api/v1/signup", "", "application/json", `{"name":"Ann","email":"ann@coop.test","password":"plum orchard lantern 42","accept_charter":true}`)
	if status != 201 {
		t.Fatalf("signup: %d %s", status, body)
	}
	ann := loginAs(t, url, "ann@coop.test", "plum orchard lantern 42")
	status, body = apiCall(t, "POST", url+"/api/v1/pools/mobility/records", ann, "text/csv", "km,mode\n12,bike\n")
	if status != 403 {
		t.Fatalf("records before consent: %d %s, want 403", status, body)
	}
	if status, body = apiCall(t, "PUT", url+"/api/v1/pools/mobility/consent", ann, "application/json", `{"granted":true}`); status != 200 {
		t.Fatalf("consent: %d %s", status, body)
	}
	status, body = apiCall(t, "POST", url+"/api/v1/pools/mobility/records", ann, "text/csv", "km,mode\n12,bike\n-3,car\n7,plane\n")
	if status != 400 || !strings.Contains(body, `"rows"`) || !strings.Contains(body, `"row":2`) || !strings.Contains(body, `"row":3`) {
		t.Fatalf("bad CSV: %d %s, want 400 listing rows 2 and 3", status, body)
	}
	marker := "ERASE-" + fmt.Sprint(time.Now().UnixNano())
	csv := "\ufeffkm,mode\r\n12.345678,bike\r\n98765.4321,bus\r\n"
	status, body = apiCall(t, "POST", url+"/api/v1/pools/mobility/records", ann, "text/csv", csv, "Idempotency-Key", marker)
	if status != 201 || !strings.Contains(body, `"accepted":2`) {
		t.Fatalf("CSV upload: %d %s", status, body)
	}
	status, body = apiCall(t, "POST", url+"/api/v1/pools/mobility/records", ann, "text/csv", csv, "Idempotency-Key", marker)
	if status != 201 || !strings.Contains(body, `"replayed":true`) {
		t.Fatalf("retried upload: %d %s", status, body)
	}
	status, body = apiCall(t, "GET", nodes[2].URL()+"/api/v1/me/export", ann, "application/json", "")
	if status != 200 || !strings.Contains(body, "98765.4321") {
		t.Fatalf("export: %d %s", status, body)
	}
	needles := []string{marker, "98765.4321", "12.345678"}
	waitFor(t, 10*time.Second, func() error {
		if len(filesHolding(nodes, marker)) < 3 {
			return fmt.Errorf("the marker is not on every node yet")
		}
		return nil
	})

	if status, body = apiCall(t, "DELETE", nodes[2].URL()+"/api/v1/me", ann, "application/json", ""); status != 200 {
		t.Fatalf("DELETE /me: %d %s", status, body)
	}
	if status, _ = apiCall(t, "GET", nodes[2].URL()+"/api/v1/me", ann, "application/json", ""); status != 401 {
		t.Fatalf("the deleted account still works where it was deleted: %d", status)
	}
	// Other nodes read their local copy: they stop the account as soon as
	// they apply the deletion (replication lag, milliseconds).
	waitFor(t, 2*time.Second, func() error {
		if status, _ := apiCall(t, "GET", url+"/api/v1/me", ann, "application/json", ""); status != 401 {
			return fmt.Errorf("still %d on another node", status)
		}
		return nil
	})
	waitFor(t, 60*time.Second, func() error {
		for _, needle := range needles {
			if found := filesHolding(nodes, needle); len(found) > 0 {
				return fmt.Errorf("%q still in %v", needle, found)
			}
		}
		return nil
	})
}

func filesHolding(nodes []*Node, needle string) []string {
	dirs := make([]string, len(nodes))
	for i, n := range nodes {
		dirs[i] = n.Config.Data
	}
	return raftdatatest.FilesUnder(dirs, needle)
}

func jsonDecode(t testing.TB, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}
