package ui

import (
	"context"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
)

// Backups is what ui needs to take a backup (*raftdata.Store).
type Backups interface {
	// Backup copies the state after a linearizable sync.
	Backup(ctx context.Context) (*raftdata.Backup, error)
}

// backupCopyTimeout bounds the sync and the copy of the database, before
// the first byte goes out.
const backupCopyTimeout = 2 * time.Minute

// backup answers POST /api/v1/backup {"key"} (operator): the state as an
// encrypted backup file, sealed on this node under the file key that
// `coop backup` derived from the operator's key, so no plaintext leaves
// the node. X-Coop-Backup-Index says the index it was taken at.
func (s *server) backup(c *fiber.Ctx) error {
	a, err := requireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	if s.deps.Backups == nil {
		return raftdata.Errorf(raftdata.CodeUnavailable, "this node does not take backups")
	}
	var in struct {
		Key string `json:"key"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	key, err := raftdata.ParseBackupFileKey(in.Key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), backupCopyTimeout)
	defer cancel()
	b, err := s.deps.Backups.Backup(ctx)
	if err != nil {
		return err
	}
	size := b.EncryptedSize()
	s.log.Info("backup started", "index", b.Index, "bytes", size, "operator", a.ID)
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set("X-Coop-Backup-Index", strconv.FormatUint(b.Index, 10))
	c.Context().SetConnectionClose()
	// fasthttp reads the pipe while it writes the answer, and closes it
	// when done or when the client goes away, which ends the writer.
	pr, pw := io.Pipe()
	conn := c.Context().Conn()
	go func() {
		defer b.Close()
		err := b.WriteEncrypted(rollingDeadline{pw, conn}, key)
		pw.CloseWithError(err)
		if err != nil {
			s.log.Warn("backup not sent in full", "index", b.Index, "error", err)
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
	r.conn.SetWriteDeadline(time.Now().Add(WriteTimeout))
	return r.w.Write(p)
}
