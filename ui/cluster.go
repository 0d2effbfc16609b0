package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/raftdata"
)

// clusterTimeout bounds GET /api/v1/cluster; each unreachable peer already
// gives up after a second.
const clusterTimeout = 5 * time.Second

// cluster answers GET /api/v1/cluster: the leader, the term and every
// node's state, as this node sees them.
func (s *server) cluster(c *fiber.Ctx) error {
	if _, err := requireRole(c, members.RoleOperator); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), clusterTimeout)
	defer cancel()
	st, err := s.deps.Cluster.Cluster(ctx)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// removeNode answers DELETE /api/v1/cluster/nodes/{id}.
func (s *server) removeNode(c *fiber.Ctx) error {
	if _, err := requireRole(c, members.RoleOperator); err != nil {
		return err
	}
	id := c.Params("id")
	if err := removeFromCluster(c.UserContext(), s.deps.Cluster, id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"removed": id})
}

// removeFromCluster takes node id out of the cluster's configuration for
// good (a machine lost or retired). The last node is kept: without it
// there is no cluster to hold the data.
func removeFromCluster(ctx context.Context, cl Cluster, id string) error {
	ctx, cancel := context.WithTimeout(ctx, clusterTimeout)
	defer cancel()
	st, err := cl.Cluster(ctx)
	if err != nil {
		return err
	}
	if len(st.Nodes) == 1 && st.Nodes[0].ID == id {
		return raftdata.Refuse(raftdata.CodeConflict, "last_node", "%s is the last node of the cluster: it cannot be removed", id).With("node", id)
	}
	return cl.Remove(ctx, id)
}
