// Command plot draws the charts of docs/scaling.md from the output of the
// scaling benchmarks (`task bench-scaling` writes it to
// docs/scaling/records.txt and docs/scaling/members.txt):
//
//	go run ./docs/scaling/plot -dir docs/scaling
//
// Each chart is an SVG with logarithmic axes: a metric per series, one
// point per size the benchmark measured (a size where a metric was not
// measured, such as a snapshot install the disk could not hold, has no
// point), a point measured on one node drawn hollow.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "docs/scaling", "directory holding records.txt and members.txt; the SVGs are written there")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	records, err := readRuns(filepath.Join(dir, "records.txt"), "records")
	if err != nil {
		return err
	}
	members, err := readRuns(filepath.Join(dir, "members.txt"), "members")
	if err != nil {
		return err
	}
	for _, c := range charts(records, members) {
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, []byte(c.svg()), 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", path)
		for _, s := range c.series {
			if e, ok := c.extension(s); ok {
				fmt.Printf("  %s: about %s %s at %s (fitted)\n", s.name, value(e.y), c.y, label(e.x))
			}
		}
	}
	return nil
}

// smartMeterRecords is a year of half-hourly readings from 100,000
// meters: 100,000 × 48 × 365.
const smartMeterRecords = 100_000 * 48 * 365

// charts are the figures of docs/scaling.md. The records' sizes were not
// all measured on the same number of nodes (the largest fits this
// machine's disk on one node only): the figures of one node (aggregate,
// snapshot, install, restart, disk) are drawn across them, a point of a
// one-node run hollow; ingest, which depends on the cluster, is one series
// per number of nodes.
func charts(records, members samples) []chart {
	const hollow = " (hollow: one node)"
	return []chart{
		{file: "records-ingest.svg", title: "Ingest, 1,000 records per contribution", x: "records already in the pool", y: "records/s",
			series: []series{
				records.onNodes(3).series("coop, 3 nodes, via a follower", "ingest-records/s"),
				records.onNodes(1).series("coop, one node", "ingest-records/s"),
				records.series("raw SQLite, same table", "raw-ingest-records/s"),
			}},
		{file: "records-aggregate.svg", title: "Grouped DP mean over the whole pool" + hollow, x: "records", y: "seconds",
			series: []series{
				records.series("pooling.Aggregate", "aggregate-s"),
				records.series("same GROUP BY, raw SQL", "raw-aggregate-s"),
			}},
		{file: "records-snapshot.svg", title: "Snapshot and new node" + hollow, x: "records", y: "seconds",
			series: []series{
				records.series("snapshot (VACUUM INTO, persist)", "snapshot-s"),
				records.series("longest write stalled by it", "write-stall-s"),
				records.series("snapshot install, new node", "install-s"),
				records.series("plain copy of state.db", "copy-s"),
			}},
		{file: "records-space.svg", title: "Disk and memory of a node" + hollow, x: "records", y: "MB (MiB for memory)",
			series: []series{
				records.series("state.db", "state-db-MB"),
				records.series("snapshot", "snapshot-MB"),
				records.series("RSS after restart (MiB)", "restart-RSS-MiB"),
			}},
		{file: "records-restart.svg", title: "Restart until /readyz" + hollow, x: "records", y: "seconds",
			series: []series{
				records.series("restart of the node that snapshotted", "restart-s"),
			}},
		{file: "records-ratios.svg", title: "Ratios to the baseline of the same run" + hollow, x: "records", y: "ratio",
			series: []series{
				records.onNodes(3).series("ingest / raw insert, 3 nodes", "ingest/raw"),
				records.onNodes(1).series("ingest / raw insert, one node", "ingest/raw"),
				records.series("aggregate / raw GROUP BY", "aggregate/raw"),
				records.series("snapshot / plain copy", "snapshot/copy"),
				records.series("install / plain copy", "install/copy"),
			}},
		{file: "records-extrapolated.svg", title: "Fitted to the runs, carried to a year of smart meters", x: "records", y: "seconds",
			extendTo: smartMeterRecords, mark: "100k meters, a year",
			series: []series{
				records.series("grouped DP aggregate", "aggregate-s"),
				records.series("snapshot (VACUUM INTO, persist)", "snapshot-s"),
				records.series("snapshot install, new node", "install-s"),
				records.series("restart until ready", "restart-s"),
			}},
		{file: "members-time.svg", title: "Opening and closing a vote, 3 nodes", x: "members (electorate)", y: "seconds",
			series: []series{
				members.series("electorate frozen (leader answers)", "freeze-s"),
				members.series("frozen on every node", "freeze-everywhere-s"),
				members.series("same rows, raw SQL", "raw-freeze-s"),
				members.series("close: deadline to tally everywhere", "close-everywhere-s"),
				members.series("tally query, raw SQL", "raw-tally-s"),
			}},
		{file: "members-ballots.svg", title: "Ballots, 64 at once, 3 nodes", x: "members (electorate)", y: "per second",
			series: []series{
				members.series("ballots/s", "ballots/s"),
				members.series("bare commands/s, before", "raw-cmds/s"),
				members.series("bare commands/s, after", "raw-cmds-after/s"),
			}},
		{file: "members-memory.svg", title: "Memory of one open vote, per node", x: "members (electorate)", y: "MiB",
			series: []series{
				members.series("open votes in memory", "open-votes-MiB/node"),
			}},
	}
}
