package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"filippo.io/age"

	"coop/raftdata"
)

// `coop custodian` runs on a custodian's own machine: it makes their key
// pair, and opens their share of a backup. Neither talks to a node.

const custodianUsage = `Usage: coop custodian keygen --out FILE
       coop custodian open-share --in BACKUP --identity FILE --out SHARE

For the custodians the members elected to hold the backups (a proposal of
kind custodians). Run these on your own machine, never on a node.

  keygen      makes your key pair: the secret key goes to FILE (readable
              only by you; keep it, and a copy offline), the public key
              (age1...) is printed. Register the public key on the page
              "Custodian" of your account (/me/custodian), or with
              PUT /api/v1/me/custodian-key {"public_key":"age1..."}.
  open-share  opens your share of a backup sealed to the custodians, with
              your secret key, into SHARE (readable only by you). Hand it
              to whoever restores, over a safe channel: any k shares open
              the backup, so treat it as a secret.
`

// runCustodian is `coop custodian`.
func runCustodian(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, custodianUsage)
		return exitUsage
	}
	switch args[0] {
	case "keygen":
		return runKeygen(args[1:], stdout, stderr)
	case "open-share":
		return runOpenShare(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, custodianUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "coop custodian: unknown command %q\n\n%s", args[0], custodianUsage)
	return exitUsage
}

// custodianFlags parses the flags of a custodian subcommand; it returns
// -1 as the code when the caller goes on.
func custodianFlags(name string, args []string, stdout, stderr io.Writer, define func(*flag.FlagSet)) int {
	fs := flag.NewFlagSet("coop custodian "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, custodianUsage+"\nFlags:\n")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "coop custodian %s: %v\n", name, err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "coop custodian %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage
	}
	return -1
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	var out string
	if code := custodianFlags("keygen", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "`FILE` to write the secret key to (must not exist)")
	}); code >= 0 {
		return code
	}
	if out == "" {
		fmt.Fprintln(stderr, "coop custodian keygen: --out is required")
		return exitUsage
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		fmt.Fprintf(stderr, "coop custodian keygen: %v\n", err)
		return exitError
	}
	pub := id.Recipient().String()
	// The layout of age-keygen, so the age tool reads the file too.
	content := fmt.Sprintf("# created: %s\n# public key: %s\n# coop custodian key: keep it secret, and a copy offline\n%s\n",
		time.Now().UTC().Format(time.RFC3339), pub, id.String())
	if err := writeSecretFile(out, []byte(content)); err != nil {
		fmt.Fprintf(stderr, "coop custodian keygen: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "secret key written to %s (readable only by you): keep it, and a copy offline; without it your shares cannot be opened\n", out)
	fmt.Fprintf(stdout, "public key: %s\n", pub)
	fmt.Fprintln(stdout, "register the public key on your account's custodian page (/me/custodian), or with PUT /api/v1/me/custodian-key")
	return exitOK
}

func runOpenShare(args []string, stdout, stderr io.Writer) int {
	var in, identity, out string
	if code := custodianFlags("open-share", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&in, "in", "", "the backup `FILE`")
		fs.StringVar(&identity, "identity", "", "`FILE` holding your secret key (coop custodian keygen)")
		fs.StringVar(&out, "out", "", "`FILE` to write your opened share to (must not exist)")
	}); code >= 0 {
		return code
	}
	for flagName, v := range map[string]string{"--in": in, "--identity": identity, "--out": out} {
		if v == "" {
			fmt.Fprintf(stderr, "coop custodian open-share: %s is required\n", flagName)
			return exitUsage
		}
	}
	share, info, err := openShare(in, identity)
	if err != nil {
		fmt.Fprintf(stderr, "coop custodian open-share: %v\n", err)
		return exitError
	}
	if err := writeSecretFile(out, share.File()); err != nil {
		fmt.Fprintf(stderr, "coop custodian open-share: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "share %d of the backup of index %d written to %s (readable only by you); any %d of the %d shares open that backup: hand it only to whoever the members trust with the restore, over a safe channel\n",
		share.Number, info.Index, out, info.Threshold, len(info.Recipients))
	return exitOK
}

// openShare opens the share of the backup at path sealed to one of the
// X25519 identities in the identity file.
func openShare(path, identityFile string) (raftdata.Share, raftdata.BackupInfo, error) {
	keyFile, err := os.Open(identityFile)
	if err != nil {
		return raftdata.Share{}, raftdata.BackupInfo{}, fmt.Errorf("read your key: %w", err)
	}
	ids, err := age.ParseIdentities(keyFile)
	keyFile.Close()
	if err != nil {
		return raftdata.Share{}, raftdata.BackupInfo{}, fmt.Errorf("%s holds no secret key (coop custodian keygen writes one): %v", identityFile, err)
	}
	var lastErr error = fmt.Errorf("%s holds no X25519 secret key (coop custodian keygen writes one)", identityFile)
	for _, id := range ids {
		x, ok := id.(*age.X25519Identity)
		if !ok {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return raftdata.Share{}, raftdata.BackupInfo{}, fmt.Errorf("open the backup: %w", err)
		}
		share, info, err := raftdata.OpenShare(f, x)
		f.Close()
		if err == nil {
			return share, info, nil
		}
		if !errors.Is(err, raftdata.ErrNoShareForKey) {
			return share, info, fmt.Errorf("%s: %w", path, err)
		}
		lastErr = fmt.Errorf("%s: %w: was it sealed before you registered this key, or to another custodian set?", path, err)
	}
	return raftdata.Share{}, raftdata.BackupInfo{}, lastErr
}

// writeSecretFile writes data to a new file readable only by its owner;
// an existing file is never overwritten.
func writeSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists already: it is never overwritten", path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
