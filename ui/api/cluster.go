package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/server"
)

// cluster answers GET /api/v1/cluster: the leader, the term and every
// node's state, as this node sees them.
func (s *api) cluster(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), server.ClusterTimeout)
	defer cancel()
	st, err := s.Deps.Cluster.Cluster(ctx)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// removeNode answers DELETE /api/v1/cluster/nodes/{id}.
func (s *api) removeNode(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return err
	}
	id := c.Params("id")
	if err := server.RemoveFromCluster(c.UserContext(), s.Deps.Cluster, id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"removed": id})
}
