package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// runRemove takes a node out of the cluster's configuration for good: a
// machine lost, or one retired. It asks any node at --http, as an operator
// (COOP_TOKEN).
func runRemove(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, node := clientFlags("coop remove", getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: coop remove [--http URL] NODE-ID\n\nTakes the node out of the cluster. COOP_TOKEN (an operator's token) is sent as a Bearer token.\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop remove: %v\n", err)
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "coop remove: name one node, like: coop remove --http http://127.0.0.1:8080 n3")
		return exitUsage
	}
	id := fs.Arg(0)
	target, err := node.target()
	if err != nil {
		fmt.Fprintf(stderr, "coop remove: %v\n", err)
		return exitUsage
	}
	if err := removeNode(ctx, target, id); err != nil {
		fmt.Fprintf(stderr, "coop remove: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "node %s removed from the cluster; stop its process, it takes no part any more\n", id)
	return exitOK
}

// removeNode sends DELETE /api/v1/cluster/nodes/{id}.
func removeNode(ctx context.Context, t nodeTarget, id string) error {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	req, err := t.request(ctx, http.MethodDelete, "/api/v1/cluster/nodes/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	resp, err := t.client(statusTimeout).Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach a coop node at %s: %v", t.URL, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return answerError(t.URL, resp)
	}
	return nil
}
