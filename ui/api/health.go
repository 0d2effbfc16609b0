package api

import (
	"bytes"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
	"coop/ui/server"
)

// healthz answers as long as the process serves HTTP.
func healthz(c *fiber.Ctx) error {
	return c.SendString("ok")
}

// readyz answers 200 once the node knows its leader, has applied the log it
// knows to be committed, and holds the cluster's bootstrap (operator,
// rulebook, demo data); 503 with the reason before that.
func (s *api) readyz(c *fiber.Ctx) error {
	if reason := s.notReady(); reason != "" {
		return server.WriteError(c, raftdata.Refuse(raftdata.CodeUnavailable, "not_ready", "not ready: %s", reason))
	}
	return c.SendString("ready")
}

func (s *api) notReady() string {
	cl := s.Deps.Cluster
	st := cl.Status()
	switch {
	case st.StorageError != "":
		return st.StorageError
	case st.Leader == "":
		return "no leader known yet"
	case !cl.Ready():
		return "the log is not applied yet"
	case !cl.Bootstrapped():
		return "the cluster's bootstrap is not applied yet"
	}
	return ""
}

// raftStates are the states coop_raft_state reports, one series each.
var raftStates = [...]string{"leader", "follower", "candidate"}

// metricsPage writes the node's figures in the Prometheus text format.
func (s *api) metricsPage(c *fiber.Ctx) error {
	st := s.Deps.Cluster.Status()
	var b bytes.Buffer
	fmt.Fprintln(&b, "# HELP coop_raft_state The node's Raft state: 1 for the current one.")
	fmt.Fprintln(&b, "# TYPE coop_raft_state gauge")
	for _, name := range raftStates {
		v := 0
		if st.State == name {
			v = 1
		}
		fmt.Fprintf(&b, "coop_raft_state{state=%q} %d\n", name, v)
	}
	server.Gauge(&b, "coop_raft_term", "The node's current Raft term.", st.Term)
	server.Gauge(&b, "coop_raft_commit_index", "The highest log index known to be committed.", st.CommitIndex)
	server.Gauge(&b, "coop_raft_applied_index", "The last log index applied by Raft (no-ops included).", st.AppliedIndex)
	server.Gauge(&b, "coop_raft_fsm_index", "The last log index whose command is applied to the local SQLite state.", st.FSMIndex)
	server.Gauge(&b, "coop_raft_last_log_index", "The last index in the node's Raft log.", st.LastLogIndex)
	server.Gauge(&b, "coop_raft_last_snapshot_index", "The index of the node's last snapshot.", st.LastSnapshotIndex)
	fc := s.Deps.Cluster.Counters()
	server.Counter(&b, "coop_fsm_batches_total", "SQLite transactions that applied committed log entries.", fc.Batches)
	server.Counter(&b, "coop_fsm_commands_total", "Commands applied to the local state.", fc.Commands)
	server.Counter(&b, "coop_fsm_refused_total", "Commands refused by their handler (a rule of the domain).", fc.Refused)
	server.Counter(&b, "coop_storage_write_failures_total", "Failed writes of the Raft log or the state database (a full disk); each retry counts.", fc.StorageFailures)
	server.Gauge(&b, "coop_storage_healthy", "0 while the node cannot write its databases, 1 otherwise.", boolValue(st.StorageError == ""))
	server.Counter(&b, "coop_fsm_snapshot_restores_total", "Snapshots installed over the local state (a follower catching up from far behind).", fc.SnapshotRestores)
	server.WriteHistogram(&b, "coop_raft_apply_duration_seconds", "Time for a write proposed on this node to be committed and applied (forwarding to the leader included).", fc.ApplyLatency)
	server.WriteHistogram(&b, "coop_fsm_batch_duration_seconds", "Time to apply a batch of committed entries to the local SQLite state.", fc.BatchLatency)
	server.Gauge(&b, "coop_ready", "1 when /readyz answers 200.", boolValue(s.notReady() == ""))
	if s.Deps.Events != nil {
		published, dropped := s.Deps.Events.EventCounts()
		server.Counter(&b, "coop_events_published_total", "Events handed to NATS.", published)
		server.Counter(&b, "coop_events_dropped_total", "Events dropped because the publish queue was full.", dropped)
		if a, ok := s.Deps.Events.(server.ActivityStats); ok {
			server.WriteActivity(&b, a.Activity())
		}
	}
	s.Metrics.Write(&b)
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.Send(b.Bytes())
}

func boolValue(ok bool) uint64 {
	if ok {
		return 1
	}
	return 0
}
