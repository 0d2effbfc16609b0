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

	"coop/raftdata"
)

const restoreUsage = `Usage: coop restore --in FILE --key-file KEY --data DIR

Decrypts and checks a backup written by coop backup, and makes DIR (new, or
empty) the data directory of a new cluster serving the backup's state:
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
	keyFile := flags.String("key-file", "", "`FILE` holding the key the backup was made with")
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
	case *keyFile == "":
		missing = "--key-file is required"
	case *data == "":
		missing = "--data is required"
	}
	if missing != "" {
		fmt.Fprintf(stderr, "coop restore: %s\nRun 'coop restore -h' for the flags.\n", missing)
		return exitUsage
	}
	key, err := readKeyFile(*keyFile, stderr)
	if err == nil {
		var index uint64
		if index, err = restoreBackup(ctx, *in, key, *data, stderr); err == nil {
			fmt.Fprintf(stdout, "restored the backup of index %d into %s\nstart it with: coop serve --data %s (a new one-node cluster, with a new cluster key in %s; other nodes join it with --join and --cluster-key-file naming a copy of that key)\n",
				index, *data, *data, filepath.Join(*data, clusterKeyFile))
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "coop restore: %v\n", err)
	return exitError
}

// restoreBackup decrypts the backup at path into a scratch directory beside
// dir, and moves it into dir only once all of it checked: a wrong key, a
// damaged or truncated file leave dir as it was.
func restoreBackup(ctx context.Context, path string, key raftdata.BackupKey, dir string, progressTo io.Writer) (uint64, error) {
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
	br, err := raftdata.OpenBackup(in, key)
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
