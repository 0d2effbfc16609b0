package ui

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/members"
)

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
