package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"coop/raftdata"
)

// Timeouts of `coop backup`: the node syncs and copies its database before
// it answers; after that, a transfer that moves no byte for stallTimeout
// is abandoned.
const (
	backupAnswerTimeout = 3 * time.Minute
	backupStallTimeout  = time.Minute
)

const backupUsage = `Usage: coop backup --http URL --out FILE [--key-file KEY]
       coop backup --new-key KEY [--http URL --out FILE]

Takes a consistent copy of a running cluster, as the node at --http sees it
once it has synced with the leader, encrypted (AES-256-GCM) on the node.
COOP_TOKEN must be an operator's token.

Who can open it is the cluster's choice, not yours:
  - once the members' elected custodians have all registered their keys,
    the backup is sealed to them: any k of the n custodians open it
    together (coop custodian open-share, then coop restore --shares), and
    no key of yours does;
  - until then it is sealed under the key in KEY (--key-file), which the
    node answers is needed. --new-key writes a new random key to KEY
    (readable only by you), then takes the backup with it if --out is
    given. Keep the key apart from the backups: without it, such a backup
    cannot be restored.

Flags:`

// runBackup is `coop backup`.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags, node := clientFlags("coop backup", getenv)
	out := flags.String("out", "", "`FILE` to write the encrypted backup to (must not exist)")
	keyFile := flags.String("key-file", "", "`FILE` holding the backup key (64 hex digits or base64)")
	newKey := flags.String("new-key", "", "write a new random key to `FILE` (must not exist) and use it")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, backupUsage)
			flags.SetOutput(stdout)
			flags.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop backup: %v\n", err)
		return exitUsage
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(stderr, "coop backup: %s\nRun 'coop backup -h' for the flags.\n", msg)
		return exitUsage
	}
	switch {
	case flags.NArg() > 0:
		return usageErr(fmt.Sprintf("unexpected argument %q", flags.Arg(0)))
	case *newKey != "" && *keyFile != "":
		return usageErr("give --key-file or --new-key, not both")
	case *newKey == "" && *out == "":
		return usageErr("--out is required")
	}

	var key *raftdata.BackupKey
	if *newKey != "" {
		k, err := writeNewKey(*newKey)
		if err != nil {
			fmt.Fprintf(stderr, "coop backup: %v\n", err)
			return exitError
		}
		key = &k
		fmt.Fprintf(stdout, "new backup key written to %s (readable only by you): keep it safe and apart from the backups\n", *newKey)
		if *out == "" {
			return exitOK
		}
	} else if *keyFile != "" {
		k, err := readKeyFile(*keyFile, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "coop backup: %v\n", err)
			return exitError
		}
		key = &k
	}

	target, err := node.target()
	if err != nil {
		fmt.Fprintf(stderr, "coop backup: %v\n", err)
		return exitUsage
	}
	res, err := takeBackup(ctx, backupRequest{Node: target, Out: *out, Key: key, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "coop backup: %v\n", err)
		return exitError
	}
	if res.Custodians == nil {
		fmt.Fprintf(stdout, "backup of index %d written to %s (%s, encrypted and verified)\n", res.Index, *out, formatBytes(res.Bytes))
		return exitOK
	}
	info := res.Custodians
	fmt.Fprintf(stdout, "backup of index %d written to %s (%s), sealed to the custodians (%s): any %d of the %d open it together; no operator key does\n",
		res.Index, *out, formatBytes(res.Bytes), info.Label, info.Threshold, len(info.Recipients))
	if key != nil {
		fmt.Fprintln(stderr, "coop backup: note: your backup key was not used; the members' custodians hold this backup")
	}
	return exitOK
}

// nodeURL accepts host:port as well as a URL.
func nodeURL(s string) string {
	s = strings.TrimRight(s, "/")
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return s
}

type backupRequest struct {
	Node     nodeTarget          // a node, with an operator's token
	Out      string              // file to create
	Key      *raftdata.BackupKey // the operator's key; nil: none given
	Progress io.Writer           // where progress lines go
}

type backupResult struct {
	Index uint64 // the applied index the backup holds
	Bytes int64  // size of the file
	// Custodians is what the header of a backup sealed to the custodians
	// says; nil for one sealed to the operator's key.
	Custodians *raftdata.BackupInfo
}

// takeBackup asks the node for a backup, with a new file key derived from
// the operator's key when there is one (the key itself never leaves this
// machine), and writes it to req.Out. A backup sealed to the key is
// decrypted as it arrives, so a backup that is kept is known to open with
// it; one sealed to the custodians is checked as far as no key goes (its
// header and its length). A failed one leaves no file behind.
func takeBackup(ctx context.Context, req backupRequest) (backupResult, error) {
	var res backupResult
	body := []byte(`{}`)
	if req.Key != nil {
		fk, err := req.Key.NewFileKey()
		if err != nil {
			return res, err
		}
		body, _ = json.Marshal(map[string]string{"key": fk.String()})
	}
	partial := req.Out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return res, fmt.Errorf("%s exists: remove it (a backup that did not finish?) or choose another --out", partial)
		}
		return res, fmt.Errorf("create the backup file: %w", err)
	}
	if _, err := os.Stat(req.Out); err == nil {
		f.Close()
		os.Remove(partial)
		return res, fmt.Errorf("%s exists already: choose another --out", req.Out)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(partial)
		}
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hreq, err := req.Node.request(ctx, http.MethodPost, "/api/v1/backup", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := req.Node.client(backupAnswerTimeout).Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("backup interrupted: %v", ctx.Err())
		}
		return res, fmt.Errorf("cannot reach a coop node at %s: %v", req.Node.URL, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, answerError(req.Node.URL, resp)
	}
	if res.Index, err = strconv.ParseUint(resp.Header.Get("X-Coop-Backup-Index"), 10, 64); err != nil {
		return res, fmt.Errorf("%s did not answer like a coop node (no backup index)", req.Node.URL)
	}

	stall := time.AfterFunc(backupStallTimeout, cancel)
	defer stall.Stop()
	progress := newProgress(req.Progress, "coop backup: received", resp.ContentLength)
	in := &countingReader{r: resp.Body, onRead: func(total int64) {
		stall.Reset(backupStallTimeout)
		progress.update(total)
	}}
	// Reading drives the copy into the file.
	fileIndex, custodians, err := checkArriving(io.TeeReader(in, f), resp.Header.Get("X-Coop-Backup-Sealing"), req.Key)
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("backup interrupted after %s: %v (no byte for %s, or a signal)", formatBytes(in.n), ctx.Err(), backupStallTimeout)
		}
		return res, fmt.Errorf("the backup did not arrive intact: %w", err)
	}
	res.Custodians = custodians
	progress.done(in.n)
	if fileIndex != res.Index {
		return res, fmt.Errorf("the node announced index %d, the file holds %d", res.Index, fileIndex)
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("write the backup file: %w", err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("write the backup file: %w", err)
	}
	if err := os.Rename(partial, req.Out); err != nil {
		return res, fmt.Errorf("write the backup file: %w", err)
	}
	ok = true
	res.Bytes = in.n
	return res, nil
}

// checkArriving reads a backup as it arrives, to its end, and returns the
// index it holds. One sealed to the operator's key is decrypted with key;
// one sealed to the custodians opens with no key here, so its header and
// length are checked, and its header returned.
func checkArriving(r io.Reader, sealing string, key *raftdata.BackupKey) (uint64, *raftdata.BackupInfo, error) {
	if sealing == "custodians" {
		info, err := raftdata.ReadBackupInfo(r)
		if err == nil && !info.Shared() {
			err = errors.New("the node said it sealed the backup to the custodians, and the file says otherwise")
		}
		return info.Index, &info, err
	}
	if key == nil {
		return 0, nil, errors.New("the node sealed it to the operator's key, and no key was given")
	}
	br, err := raftdata.OpenBackup(r, *key)
	if err != nil {
		return 0, nil, err
	}
	_, err = io.Copy(io.Discard, br)
	return br.Index, nil, err
}

// answerError turns a node's JSON error into the sentence it carries.
func answerError(base string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb struct {
		Error *raftdata.Error `json:"error"`
	}
	if json.Unmarshal(raw, &eb) != nil || eb.Error == nil {
		return fmt.Errorf("%s did not answer like a coop node (HTTP %d)", base, resp.StatusCode)
	}
	return fmt.Errorf("%s (HTTP %d)", eb.Error.Message, resp.StatusCode)
}

// writeNewKey writes a new key to path, readable only by its owner; an
// existing file is never overwritten (a lost key loses its backups).
func writeNewKey(path string) (raftdata.BackupKey, error) {
	key, err := raftdata.NewBackupKey()
	if err != nil {
		return key, err
	}
	return key, writeSecretFile(path, []byte(key.String()+"\n"))
}

// readKeyFile reads a key file, and warns when others may read it.
func readKeyFile(path string, warn io.Writer) (raftdata.BackupKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return raftdata.BackupKey{}, fmt.Errorf("read the key file: %w", err)
	}
	key, err := raftdata.ParseBackupKey(string(raw))
	if err != nil {
		return key, fmt.Errorf("the key file %s does not hold a key: %v (make one with coop backup --new-key FILE)", path, err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "coop: warning: the key file %s is readable by others (mode %v): chmod 600 it\n", path, st.Mode().Perm())
	}
	return key, nil
}

// countingReader counts what is read through it.
type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.onRead(c.n)
	}
	return n, err
}

// progress prints "bytes of total (percent)" lines: at most one a second,
// plus one at the end. A total under 0 is unknown.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	label  string
	total  int64
	last   time.Time
	start  time.Time
	silent bool
}

func newProgress(w io.Writer, label string, total int64) *progress {
	now := time.Now()
	return &progress{w: w, label: label, total: total, last: now, start: now, silent: w == nil}
}

func (p *progress) update(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent || time.Since(p.last) < time.Second {
		return
	}
	p.last = time.Now()
	p.print(n)
}

func (p *progress) done(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent {
		return
	}
	p.print(n)
}

func (p *progress) print(n int64) {
	line := p.label + " " + formatBytes(n)
	if p.total > 0 {
		line += fmt.Sprintf(" of %s (%d%%)", formatBytes(p.total), n*100/p.total)
	}
	if secs := time.Since(p.start).Seconds(); secs > 0.5 {
		line += fmt.Sprintf(", %s/s", formatBytes(int64(float64(n)/secs)))
	}
	fmt.Fprintln(p.w, line)
}

// formatBytes writes a size for people: 512 B, 3.4 MB.
func formatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
