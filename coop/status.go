package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"coop/raftdata"
)

// statusTimeout bounds the whole `coop status` call.
const statusTimeout = 10 * time.Second

// clientFlags is the flag set of a command that talks to a running node:
// --http, by default $COOP_HTTP or the address `coop serve` listens on, and
// --tls-ca for a cluster whose certificates come from its own CA. coop
// writes its own sentences, so the set prints nothing itself.
func clientFlags(name string, getenv func(string) string) (*flag.FlagSet, *nodeFlags) {
	nf := &nodeFlags{getenv: getenv}
	def := getenv("COOP_HTTP")
	if def == "" {
		def = DefaultConfig().HTTP
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&nf.http, "http", def, "HTTP `URL` of any node of the cluster")
	fs.StringVar(&nf.tlsCA, "tls-ca", getenv("COOP_TLS_CA"), "PEM `file` of the CA that signed the nodes' certificates (default: the system's)")
	return fs, nf
}

// nodeFlags are the values of clientFlags.
type nodeFlags struct {
	http, tlsCA string
	getenv      func(string) string
}

// target is the node the flags name, with COOP_TOKEN as the credential.
func (f *nodeFlags) target() (nodeTarget, error) {
	t := nodeTarget{URL: nodeURL(f.http), Token: f.getenv("COOP_TOKEN")}
	if f.tlsCA == "" {
		return t, nil
	}
	pem, err := os.ReadFile(f.tlsCA)
	if err != nil {
		return t, fmt.Errorf("--tls-ca %q: cannot read it (%v)", f.tlsCA, errors.Unwrap(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return t, fmt.Errorf("--tls-ca %q holds no PEM certificate", f.tlsCA)
	}
	t.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// nodeTarget is a node a command talks to, and how.
type nodeTarget struct {
	URL   string      // base URL
	Token string      // Bearer token; empty: none
	TLS   *tls.Config // nil: the system's roots
}

// client is an HTTP client for the target; answerTimeout bounds the wait
// for the answer's headers.
func (t nodeTarget) client(answerTimeout time.Duration) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: t.TLS, ResponseHeaderTimeout: answerTimeout}}
}

// request is a request to the target, with its token.
func (t nodeTarget) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.URL+path, body)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL a node answers at: %v", t.URL, err)
	}
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	return req, nil
}

// runStatus prints the cluster as the node at --http sees it.
func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, node := clientFlags("coop status", getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: coop status [--http URL]\n\nCOOP_TOKEN, if set, is sent as a Bearer token.\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop status: %v\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "coop status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	target, err := node.target()
	if err != nil {
		fmt.Fprintf(stderr, "coop status: %v\n", err)
		return exitUsage
	}
	st, err := fetchCluster(ctx, target)
	if err != nil {
		fmt.Fprintf(stderr, "coop status: %v\n", err)
		return exitError
	}
	printCluster(stdout, st)
	return exitOK
}

// fetchCluster gets GET base/api/v1/cluster. A refusal comes back as the
// sentence of the node's JSON error.
func fetchCluster(ctx context.Context, t nodeTarget) (raftdata.ClusterStatus, error) {
	var st raftdata.ClusterStatus
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	req, err := t.request(ctx, http.MethodGet, "/api/v1/cluster", nil)
	if err != nil {
		return st, err
	}
	resp, err := t.client(statusTimeout).Do(req)
	if err != nil {
		return st, fmt.Errorf("cannot reach a coop node at %s: %v", t.URL, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, answerError(t.URL, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return st, fmt.Errorf("read the answer of %s: %v", t.URL, err)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("%s did not answer like a coop node: %v", t.URL, err)
	}
	return st, nil
}

// printCluster writes one row per node. LAG is how far a node's applied
// index is behind the leader's commit index.
func printCluster(w io.Writer, st raftdata.ClusterStatus) {
	var leaderCommit uint64
	haveLeader := false
	for _, n := range st.Nodes {
		if n.ID == st.Leader && n.State == "leader" {
			leaderCommit, haveLeader = n.CommitIndex, true
		}
	}
	leader := st.Leader
	if leader == "" {
		leader = "(none)"
	}
	fmt.Fprintf(w, "leader: %s  term: %d\n\n", leader, st.Term)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tSTATE\tTERM\tCOMMIT\tAPPLIED\tLAG")
	var notes []string
	for _, n := range st.Nodes {
		if p := n.Problem(); p != "" {
			notes = append(notes, n.ID+": "+p)
		}
		if n.State == "unreachable" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\n", n.ID, n.Address, n.State)
			continue
		}
		lag := "-"
		if haveLeader {
			lag = "0"
			if leaderCommit > n.AppliedIndex {
				lag = strconv.FormatUint(leaderCommit-n.AppliedIndex, 10)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", n.ID, n.Address, n.State, n.Term, n.CommitIndex, n.AppliedIndex, lag)
	}
	tw.Flush()
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, note := range notes {
			fmt.Fprintln(w, note)
		}
	}
}
