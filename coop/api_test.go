package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Scenario table for the public and operator API that exists so far:
// method, path, body, expected status and a piece of the answer.
func TestAPIScenarios(t *testing.T) {
	n := startNode(t, testConfig(t, "n1"))
	waitReady(t, n)
	pool := `{"id":"energy","title":"Energy","fields":[{"name":"kwh","type":"number","min":0,"max":100}],
		"documentation":{"provenance":"p","collection_method":"c","update_frequency":"u","format":"f","pseudonymisation":"k"}}`
	op := operatorToken(t, n.URL())
	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"anonymous cannot create pools", "POST", "/api/v1/pools", pool, 401, "log in first"},
		{"rules are public", "GET", "/api/v1/governance/rules", "", 200, `"quorum_percent":25`},
		{"rules adopted at bootstrap", "GET", "/api/v1/governance/rules", "", 200, `"version":1`},
		{"no pools yet", "GET", "/api/v1/pools", "", 200, `{"pools":[]}`},
		{"create a pool", "POST", "/api/v1/pools", pool, 201, `"id":"energy"`},
		{"same pool again", "POST", "/api/v1/pools", pool, 409, `"code":"conflict"`},
		{"pool is public", "GET", "/api/v1/pools/energy", "", 200, `"provenance":"p"`},
		{"unknown pool", "GET", "/api/v1/pools/water", "", 404, `no pool \"water\"`},
		{"malformed JSON", "POST", "/api/v1/pools", `{"id":`, 400, "the JSON ends too early"},
		{"unknown field", "POST", "/api/v1/pools", `{"colour":"red"}`, 400, `unknown field \"colour\"`},
		{"empty body", "POST", "/api/v1/pools", ``, 400, "empty"},
		{"wrong type", "POST", "/api/v1/pools", `{"id":7}`, 400, `field \"id\" must be string`},
		{"invalid pool", "POST", "/api/v1/pools", `{"id":"x","title":""}`, 400, "slug"},
		{"two values", "POST", "/api/v1/pools", pool + pool, 400, "more than one JSON value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, n.URL()+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.name != "anonymous cannot create pools" {
				req.Header.Set("Authorization", "Bearer "+op)
			}
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var raw json.RawMessage
			json.NewDecoder(resp.Body).Decode(&raw)
			if resp.StatusCode != tc.status || !strings.Contains(string(raw), tc.want) {
				t.Fatalf("%s %s: %d %s, want %d containing %s", tc.method, tc.path, resp.StatusCode, raw, tc.status, tc.want)
			}
		})
	}
}
