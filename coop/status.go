package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"coop/raftdata"
)

// statusTimeout bounds the whole `coop status` call.
const statusTimeout = 10 * time.Second

// clientFlags is the flag set of a command that talks to a running node:
// --http, by default $COOP_HTTP or the address `coop serve` listens on.
// coop writes its own sentences, so the set prints nothing itself.
func clientFlags(name string, getenv func(string) string) (*flag.FlagSet, *string) {
	def := getenv("COOP_HTTP")
	if def == "" {
		def = DefaultConfig().HTTP
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, fs.String("http", def, "HTTP `URL` of any node of the cluster")
}

// runStatus prints the cluster as the node at --http sees it.
func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, base := clientFlags("coop status", getenv)
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
	st, err := fetchCluster(ctx, nodeURL(*base), getenv("COOP_TOKEN"))
	if err != nil {
		fmt.Fprintf(stderr, "coop status: %v\n", err)
		return exitError
	}
	printCluster(stdout, st)
	return exitOK
}

// fetchCluster gets GET base/api/v1/cluster. A refusal comes back as the
// sentence of the node's JSON error.
func fetchCluster(ctx context.Context, base, token string) (raftdata.ClusterStatus, error) {
	var st raftdata.ClusterStatus
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/cluster", nil)
	if err != nil {
		return st, fmt.Errorf("%q is not a URL a node answers at: %v", base, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, fmt.Errorf("cannot reach a coop node at %s: %v", base, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, answerError(base, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return st, fmt.Errorf("read the answer of %s: %v", base, err)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("%s did not answer like a coop node: %v", base, err)
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
		if n.State == "unreachable" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\n", n.ID, n.Address, n.State)
			if n.Error != "" {
				notes = append(notes, n.ID+": "+n.Error)
			}
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
