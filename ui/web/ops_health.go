package web

import (
	"fmt"
	"syscall"

	"coop/ui/i18n"
	"coop/ui/pages"
)

// diskLowShare: below this share of the data directory's disk free, the
// health summary marks the disk.
const diskLowShare = 0.10

// natsState is what the node's live updates may tell of their NATS
// connection (coop's natsLive).
type natsState interface{ Connected() bool }

// opsHealth sums up this node's health for the operators' page: the disk
// of its data directory, its NATS connection, the last backup, the
// server most behind (from nodes), and whether it can write.
func (w *web) opsHealth(tr i18n.Tr, nodes []pages.OpsNode) pages.OpsHealth {
	h := pages.OpsHealth{NATS: "none", StorageFault: w.Deps.Cluster.Status().StorageError != ""}
	if free, total, err := diskSpace(w.Deps.Cluster.Dir()); err == nil && total > 0 {
		h.DiskFree, h.DiskTotal = byteSize(tr, free), byteSize(tr, total)
		h.DiskOK = float64(free) >= diskLowShare*float64(total)
	} else if err != nil {
		w.Log.Warn("disk space unreadable", "error", err)
	}
	if n, ok := w.Deps.Live.(natsState); ok {
		h.NATS = "disconnected"
		if n.Connected() {
			h.NATS = "connected"
		}
	}
	if w.Deps.Backups != nil {
		if rec, ok, err := w.Deps.Backups.LastBackup(); err == nil && ok {
			h.LastBackup = tr.Date(rec.At)
		}
	}
	for _, n := range nodes {
		if n.Lag > h.MaxLag {
			h.MaxLag, h.Lagging = n.Lag, n.ID
		}
	}
	return h
}

// diskSpace is the free space (for an unprivileged writer) and the size
// of the disk that holds dir.
func diskSpace(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), uint64(st.Blocks) * uint64(st.Bsize), nil
}

// byteSize writes a size in bytes with the unit that keeps it short, in
// the language's units (Go, Mo in French; GB, MB in English).
func byteSize(tr i18n.Tr, n uint64) string {
	units := []string{"size.b", "size.kb", "size.mb", "size.gb", "size.tb"}
	f, u := float64(n), 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	if u == 0 {
		return tr.F(units[0], tr.Int(int(n)))
	}
	return tr.F(units[u], tr.Num(float64(int(f*10+0.5))/10))
}
