// Command coop runs a data cooperative: members pool personal data into a
// Raft-replicated SQLite store and vote on who may query it.
//
//	coop serve [flags]          start a node
//	coop status --http URL      print the cluster
//	coop remove --http URL ID   take a node out of the cluster
//	coop backup / coop restore  encrypted backups of a cluster
//	coop custodian ...          a custodian's key pair and share of a backup
//	coop vote ...               cast a ballot, a secret one with a voting token
//	coop version                print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // --timezone works on a machine without a zone database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad flags or values
)

const usage = `coop runs a data cooperative.

Usage:
  coop serve [flags]        start a node (coop serve -h lists the flags)
  coop status [--http URL]  print the cluster's nodes (COOP_TOKEN is sent as a Bearer token)
  coop remove [--http URL] NODE-ID
                            take a node out of the cluster for good (operator's COOP_TOKEN)
  coop backup --http URL --out FILE [--key-file KEY]
                            write an encrypted backup of the cluster (operator's COOP_TOKEN),
                            sealed to the custodians once they hold keys, else to KEY
  coop backup --new-key KEY write a new backup key
  coop restore --in FILE (--key-file KEY | --shares S1,S2,...) --data DIR
                            make DIR a new cluster serving a backup's state
  coop custodian keygen --out FILE
                            a custodian's key pair, made on their own machine
  coop custodian open-share --in BACKUP --identity FILE --out SHARE
                            a custodian opens their share of a backup
  coop vote --proposal ID --choice yes|no|abstain [--token-file FILE] [--take-only]
                            cast a ballot (COOP_TOKEN); on a secret vote, take the voting
                            token once and send the ballot without any credential
  coop version              print the version
  coop help                 print this help
`

// run is the whole program: main only adds the process around it, so tests
// call run in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, rest, getenv, stdout, stderr)
	case "remove":
		return runRemove(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, getenv, stdout, stderr)
	case "custodian":
		return runCustodian(ctx, rest, stdout, stderr)
	case "vote":
		return runVote(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "coop: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// runServe starts a node and runs it until ctx ends (SIGINT or SIGTERM) or
// its HTTP server fails.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, fs, err := parseServeConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "Usage: coop serve [flags]\n\nEach flag can also be set as COOP_<NAME> in the environment (--node-id: COOP_NODE_ID).\n\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return exitOK
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "coop serve: %s\n", line)
		}
		fmt.Fprintln(stderr, "Run 'coop serve -h' for the flags.")
		return exitUsage
	}

	node := NewNode(cfg, stderr)
	if err := node.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "coop serve: %v\n", err)
		return exitError
	}
	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-node.Failed():
		fmt.Fprintf(stderr, "coop serve: %v\n", err)
		code = exitError
	}
	if err := node.Close(); err != nil {
		fmt.Fprintf(stderr, "coop serve: shutdown: %v\n", err)
		code = exitError
	}
	return code
}

// versionLine names the module version and the commit the binary was
// built from, when Go recorded them.
func versionLine() string {
	v, rev, dirty := "(devel)", "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
	}
	line := "coop " + v
	if rev != "" {
		line += " " + rev[:min(12, len(rev))] + dirty
	}
	return line
}
