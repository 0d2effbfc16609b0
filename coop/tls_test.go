package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"coop/raftdata/raftdatatest"
)

// apiClient talks to nodes whose HTTPS certificates come from ca.
type apiClient struct{ *http.Client }

func newAPIClient(ca *raftdatatest.CA) apiClient {
	return apiClient{&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
	}}}
}

// do sends a JSON request (Bearer token if given) and returns the answer.
func (c apiClient) do(method, url, token string, body any) (*http.Response, string, error) {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, string(data), err
}

func (c apiClient) waitReady(t *testing.T, n *Node) {
	t.Helper()
	waitFor(t, 15*time.Second, func() error {
		resp, body, err := c.do(http.MethodGet, n.URL()+"/readyz", "", nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz of %s: %d %s", n.ID(), resp.StatusCode, body)
		}
		return nil
	})
}

// login logs the test operator in: over HTTPS the answer carries HSTS,
// and the API login sets no cookie (it returns a token).
func (c apiClient) login(t *testing.T, n *Node) string {
	t.Helper()
	resp, body, err := c.do(http.MethodPost, n.URL()+"/api/v1/login", "",
		map[string]string{"email": testOperatorEmail, "password": testOperatorPassword})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login over HTTPS: %v %v %s", err, resp, body)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("the API login set cookies %v", resp.Cookies())
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "max-age=31536000" {
		t.Errorf("an answer over HTTPS has Strict-Transport-Security %q", hsts)
	}
	var out struct {
		Token string `json:"token"`
	}
	json.Unmarshal([]byte(body), &out)
	return out.Token
}

// createPool writes through node n, retrying while the cluster settles.
func (c apiClient) createPool(t *testing.T, n *Node, token, id string) {
	t.Helper()
	waitFor(t, 15*time.Second, func() error {
		resp, body, err := c.do(http.MethodPost, n.URL()+"/api/v1/pools", token, testPool(id))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated && !(resp.StatusCode == http.StatusConflict && strings.Contains(body, "exists")) {
			return fmt.Errorf("create pool %s via %s: %d %s", id, n.ID(), resp.StatusCode, body)
		}
		return nil
	})
}

// tlsConfig is a test node whose certificate, key and CA file come from ca.
func tlsConfig(t *testing.T, id string, ca *raftdatatest.CA) Config {
	t.Helper()
	cfg := testConfig(t, id)
	cfg.ClusterKey = "" // the CA's certificates prove the nodes
	cfg.TLSCert, cfg.TLSKey, cfg.TLSCA = ca.WriteFiles(t, t.TempDir(), id)
	return cfg
}

// TestCluster3TLS_HTTPSAndMutualTLSSurviveLeaderKill runs three nodes with
// --tls-cert, --tls-key and --tls-ca: the API is served over HTTPS only
// (with HSTS), nodes join, forward writes and report each other's
// status over mutual TLS, and the cluster keeps writing after its leader
// dies.
func TestCluster3TLS_HTTPSAndMutualTLSSurviveLeaderKill(t *testing.T) {
	ca := raftdatatest.NewCA(t, "coop test CA")
	client := newAPIClient(ca)
	first := startNode(t, tlsConfig(t, "n1", ca))
	if !strings.HasPrefix(first.URL(), "https://") {
		t.Fatalf("advertised URL %s, want https://", first.URL())
	}
	client.waitReady(t, first)
	nodes := []*Node{first}
	for _, id := range []string{"n2", "n3"} {
		cfg := tlsConfig(t, id, ca)
		cfg.Join = first.URL()
		nodes = append(nodes, startNode(t, cfg))
	}
	for _, n := range nodes {
		client.waitReady(t, n)
	}
	if _, _, err := tryGet(strings.Replace(first.URL(), "https://", "http://", 1) + "/healthz"); err == nil {
		t.Errorf("plain HTTP answered on the HTTPS port")
	}

	token := client.login(t, nodes[1])
	for i, n := range nodes { // writes through followers are forwarded over mutual TLS
		client.createPool(t, n, token, fmt.Sprintf("before-%d", i))
	}
	var leader *Node
	waitFor(t, 10*time.Second, func() error {
		resp, body, err := client.do(http.MethodGet, nodes[2].URL()+"/api/v1/cluster", token, nil)
		if err != nil {
			return err
		}
		var st struct {
			Leader string `json:"leader"`
			Nodes  []struct{ ID, State, Error string }
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("cluster: %d %s", resp.StatusCode, body)
		}
		for _, n := range st.Nodes {
			if n.State == "unreachable" {
				return fmt.Errorf("%s unreachable over mutual TLS: %s", n.ID, n.Error)
			}
		}
		for _, n := range nodes {
			if n.ID() == st.Leader && len(st.Nodes) == 3 {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("want 3 nodes and a leader: %s", body)
	})

	// The operator's commands trust the cluster's CA with --tls-ca.
	var out, errOut bytes.Buffer
	withToken := env(map[string]string{"COOP_TOKEN": token})
	if code := run(context.Background(), []string{"status", "--http", first.URL(), "--tls-ca", first.Config.TLSCA}, withToken, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "leader: ") {
		t.Fatalf("coop status --tls-ca: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"status", "--http", first.URL()}, withToken, &out, &errOut); code != exitError || !strings.Contains(errOut.String(), "certificate") {
		t.Fatalf("coop status without the CA: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"status", "--http", first.URL(), "--tls-ca", first.Config.TLSKey}, withToken, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "no PEM certificate") {
		t.Fatalf("coop status with a key as CA: exit %d, %q", code, errOut.String())
	}

	leader.Store().Crash() // as kill -9: no handover
	leader.Close()
	var survivors []*Node
	for _, n := range nodes {
		if n != leader {
			survivors = append(survivors, n)
		}
	}
	for i, n := range survivors {
		client.createPool(t, n, token, fmt.Sprintf("after-%d", i))
	}
	waitFor(t, 15*time.Second, func() error {
		a, errA := survivors[0].Store().StateHash()
		b, errB := survivors[1].Store().StateHash()
		if errA != nil || errB != nil || a != b {
			return fmt.Errorf("survivors differ: %.8s %.8s %v %v", a, b, errA, errB)
		}
		return nil
	})
	for _, n := range survivors {
		for _, id := range []string{"before-0", "before-1", "before-2", "after-0", "after-1"} {
			resp, body, err := client.do(http.MethodGet, n.URL()+"/api/v1/pools/"+id, "", nil)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("node %s: pool %s: %v %v %s", n.ID(), id, err, resp, body)
			}
		}
	}
}

// TestTLS_NodeWithoutClusterCertificateCannotJoin: a node whose
// certificate comes from another CA, or that has none, is refused with a
// sentence that says why, and the cluster keeps its membership.
func TestTLS_NodeWithoutClusterCertificateCannotJoin(t *testing.T) {
	ca := raftdatatest.NewCA(t, "coop test CA")
	other := raftdatatest.NewCA(t, "another CA")
	client := newAPIClient(ca)
	first := startNode(t, tlsConfig(t, "n1", ca))
	client.waitReady(t, first)

	tests := []struct {
		name string
		cfg  func(t *testing.T) Config
		want string
	}{
		{"certificate from another CA", func(t *testing.T) Config { return tlsConfig(t, "x1", other) },
			"every node needs a certificate from the cluster's CA"},
		{"no certificate", func(t *testing.T) Config { return testConfig(t, "x2") },
			"every node needs a certificate from the cluster's CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			cfg.Join = first.URL()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			n := NewNode(cfg, testLogs())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := n.Start(ctx)
			n.Close()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("start: got %v, want an error with %q", err, tt.want)
			}
			st, err := first.Store().Cluster(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Nodes) != 1 {
				t.Errorf("membership changed: %+v", st.Nodes)
			}
		})
	}
}
