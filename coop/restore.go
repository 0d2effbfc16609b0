package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"coop/raftdata"
)

const restoreUsage = `Usage: coop restore --in FILE --key-file KEY --data DIR
       coop restore --in FILE --shares SHARE1,SHARE2,... --data DIR

Decrypts and checks a backup written by coop backup, and makes DIR (new, or
empty) the data directory of a new cluster serving the backup's state.
A backup sealed to the operator's key opens with --key-file; one sealed to
the members' custodians opens with the shares of any k of them, each
opened by its custodian on their own machine (coop custodian open-share).
Then:
  coop serve --data DIR ...          starts it as a one-node cluster, with
                                     a new cluster key in DIR/cluster-key
  coop serve --join URL-of-it --cluster-key-file DIR/cluster-key ...
                                     adds the other nodes
Accounts, tokens, rulebook and data are those of the backup; the bootstrap
(--rules, operator account, --demo) does not run again. The backup holds no
cluster key: the restored cluster makes its own at its first start (or
keeps the one --cluster-key or --cluster-key-file gives then). Nothing is
written to DIR unless the whole backup decrypts and checks.

Flags:`

// runRestore is `coop restore`.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("coop restore", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	in := flags.String("in", "", "the backup `FILE`")
	keyFile := flags.String("key-file", "", "`FILE` holding the key the backup was made with (a backup sealed to the operator)")
	shareFiles := flags.String("shares", "", "comma-separated share `FILES` opened by the custodians (a backup sealed to custodians)")
	data := flags.String("data", "", "data `DIR`ectory to create (or an empty one)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, restoreUsage)
			flags.SetOutput(stdout)
			flags.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop restore: %v\n", err)
		return exitUsage
	}
	var missing string
	switch {
	case flags.NArg() > 0:
		missing = fmt.Sprintf("unexpected argument %q", flags.Arg(0))
	case *in == "":
		missing = "--in is required"
	case *keyFile == "" && *shareFiles == "":
		missing = "--key-file or --shares is required"
	case *keyFile != "" && *shareFiles != "":
		missing = "give --key-file or --shares, not both"
	case *data == "":
		missing = "--data is required"
	}
	if missing != "" {
		fmt.Fprintf(stderr, "coop restore: %s\nRun 'coop restore -h' for the flags.\n", missing)
		return exitUsage
	}
	var open opener
	var err error
	if *keyFile != "" {
		open, err = keyOpener(*keyFile, stderr)
	} else {
		open, err = sharesOpener(*in, *shareFiles)
	}
	if err == nil {
		var index uint64
		if index, err = restoreBackup(ctx, *in, open, *data, stderr); err == nil {
			fmt.Fprintf(stdout, "restored the backup of index %d into %s\nstart it with: coop serve --data %s (a new one-node cluster, with a new cluster key in %s; other nodes join it with --join and --cluster-key-file naming a copy of that key)\n",
				index, *data, *data, filepath.Join(*data, clusterKeyFile))
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "coop restore: %v\n", err)
	return exitError
}

// opener checks that what it holds opens the backup read from r, and
// returns the reader of its content.
type opener func(r io.Reader) (*raftdata.BackupReader, error)

// keyOpener opens a backup sealed to the operator's key.
func keyOpener(keyFile string, warn io.Writer) (opener, error) {
	key, err := readKeyFile(keyFile, warn)
	if err != nil {
		return nil, err
	}
	return func(r io.Reader) (*raftdata.BackupReader, error) {
		br, err := raftdata.OpenBackup(r, key)
		if errors.Is(err, raftdata.ErrSealedToShares) {
			return nil, fmt.Errorf("%w. The members' custodians hold it, and no operator key opens it: each of them runs coop custodian open-share --in BACKUP --identity THEIR-KEY --out SHARE on their own machine, then coop restore --in BACKUP --shares SHARE1,SHARE2,... --data DIR", err)
		}
		return br, err
	}, nil
}

// sharesOpener opens a backup sealed to the custodians with the share
// files named in list; each must come from this backup.
func sharesOpener(backup, list string) (opener, error) {
	f, err := os.Open(backup)
	if err != nil {
		return nil, fmt.Errorf("open the backup: %w", err)
	}
	info, err := raftdata.ReadBackupHeader(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", backup, err)
	}
	if !info.Shared() {
		return nil, fmt.Errorf("%s is sealed to the operator's key, not to custodians: restore it with --key-file KEY", backup)
	}
	var shares []raftdata.Share
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read the share: %w", err)
		}
		s, err := raftdata.ParseShare(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (coop custodian open-share writes one)", name, err)
		}
		if s.Backup != info.ID {
			return nil, fmt.Errorf("%s is a share of another backup (taken at index %d), not of %s (index %d): ask its custodian to open the share of this backup", name, s.Index, backup, info.Index)
		}
		shares = append(shares, s)
	}
	if len(shares) < info.Threshold {
		return nil, fmt.Errorf("%s opens with the shares of any %d of its %d custodians, and %d %s given: ask %d more custodian(s) to run coop custodian open-share", backup, info.Threshold, len(info.Recipients), len(shares), plural(len(shares), "was", "were"), info.Threshold-len(shares))
	}
	return func(r io.Reader) (*raftdata.BackupReader, error) {
		return raftdata.OpenBackupWithShares(r, shares)
	}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// restoreBackup decrypts the backup at path into a scratch directory beside
// dir, and moves it into dir only once all of it checked: a wrong key or
// share, a damaged or truncated file leave dir as it was.
func restoreBackup(ctx context.Context, path string, open opener, dir string, progressTo io.Writer) (uint64, error) {
	if err := checkEmptyDir(dir); err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open the backup: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("open the backup: %w", err)
	}
	progress := newProgress(progressTo, "coop restore: read", st.Size())
	in := &countingReader{r: f, onRead: progress.update}
	br, err := open(in)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}

	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return 0, fmt.Errorf("create %s: %w", parent, err)
	}
	scratch, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".restore-")
	if err != nil {
		return 0, fmt.Errorf("create a scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch) // empty once moved
	// The store lives in DIR/raft, as Node.start opens it.
	index, err := raftdata.PrepareRestore(filepath.Join(scratch, "raft"), contextReader{ctx, br})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	progress.done(in.n)
	if err := moveInto(scratch, dir); err != nil {
		return 0, err
	}
	return index, nil
}

// checkEmptyDir accepts a directory that does not exist or is empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot use %s as the data directory: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: restore into a new or empty directory (a restore never overwrites a node's data)", dir)
	}
	return nil
}

// moveInto moves the entries of scratch into dir (created if missing).
func moveInto(scratch, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(scratch, dir); err != nil {
			return fmt.Errorf("move the restored data into %s: %w", dir, err)
		}
		return nil
	}
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(scratch)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(scratch, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("move the restored data into %s: %w", dir, err)
		}
	}
	return nil
}

// contextReader stops a long read when ctx ends (Ctrl-C).
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("restore interrupted: %w", err)
	}
	return c.r.Read(p)
}
