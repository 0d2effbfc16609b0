package ui

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
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
