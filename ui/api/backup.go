package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
	"coop/ui/server"
)

// backupCopyTimeout bounds the sync and the copy of the database, before
// the first byte goes out.
const backupCopyTimeout = 2 * time.Minute

// recordTimeout bounds the note, through the log, that a backup was sent.
const recordTimeout = 10 * time.Second

// backup answers POST /api/v1/backup {"key"} (operator): the state as an
// encrypted backup file, sealed on this node, so no plaintext leaves it.
// Once the members' custodians have all registered their keys, the file
// is sealed to them (any k of n open it) and the operator's key, if
// given, is not used: the choice is the cluster's, not the caller's.
// Until then it is sealed under the file key that `coop backup` derived
// from the operator's key ("key", required then). X-Coop-Backup-Index
// says the index it was taken at, X-Coop-Backup-Sealing to whom.
func (s *api) backup(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	if s.Deps.Backups == nil {
		return raftdata.Refuse(raftdata.CodeUnavailable, "no_backups", "this node does not take backups")
	}
	var in struct {
		Key string `json:"key"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	var key raftdata.BackupFileKey
	if in.Key != "" {
		if key, err = raftdata.ParseBackupFileKey(in.Key); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), backupCopyTimeout)
	defer cancel()
	b, err := s.Deps.Backups.Backup(ctx)
	if err != nil {
		return err
	}
	// Read after the backup's sync: the custodians this node knows are
	// those of the copy's index, or newer.
	custodians, err := s.Deps.Rules.Custodians(ctx)
	if err != nil {
		b.Close()
		return err
	}
	write := func(w io.Writer) error { return b.WriteEncrypted(w, key) }
	size, sealing := b.EncryptedSize(), server.SealedToOperator
	if set := custodians.Sealing; set != nil {
		sk, err := raftdata.SealToHolders(raftdata.ShareHolders{Threshold: set.Threshold, Recipients: set.Recipients(),
			Label: "custodian set " + strconv.Itoa(set.Version)}, b.Index)
		if err != nil {
			b.Close()
			return err
		}
		write = func(w io.Writer) error { return b.WriteSealed(w, sk) }
		size, sealing = b.SealedSize(sk), server.SealedToCustodians
		c.Set("X-Coop-Backup-Custodians", fmt.Sprintf("%d of %d", set.Threshold, len(set.Custodians)))
	} else if in.Key == "" {
		b.Close()
		return raftdata.Refuse(raftdata.CodeConflict, "backup_key_needed", "the members have no custodians with registered keys yet, so backups are sealed to the operator's key: give one (coop backup --key-file KEY)")
	}
	s.Log.Info("backup started", "index", b.Index, "bytes", size, "sealed_to", sealing, "operator", a.ID)
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set("X-Coop-Backup-Index", strconv.FormatUint(b.Index, 10))
	c.Set("X-Coop-Backup-Sealing", sealing)
	c.Context().SetConnectionClose()
	// fasthttp reads the pipe while it writes the answer, and closes it
	// when done or when the client goes away, which ends the writer.
	pr, pw := io.Pipe()
	conn := c.Context().Conn()
	go func() {
		defer b.Close()
		err := write(rollingDeadline{pw, conn})
		pw.CloseWithError(err)
		if err != nil {
			s.Log.Warn("backup not sent in full", "index", b.Index, "error", err)
			return
		}
		ctx, cancel := context.WithTimeout(s.Stopping, recordTimeout)
		defer cancel()
		if err := s.Deps.Backups.RecordBackup(ctx, b.Index, sealing); err != nil {
			s.Log.Warn("backup sent but not recorded", "index", b.Index, "error", err)
		}
	}()
	c.Context().SetBodyStream(pr, int(size))
	return nil
}

// rollingDeadline pushes the connection's write deadline forward at every
// chunk: the server's WriteTimeout bounds the whole answer, which a large
// backup may outlast, while a stalled client still times out.
type rollingDeadline struct {
	w    io.Writer
	conn net.Conn
}

func (r rollingDeadline) Write(p []byte) (int, error) {
	r.conn.SetWriteDeadline(time.Now().Add(server.WriteTimeout))
	return r.w.Write(p)
}
