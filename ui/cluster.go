package ui

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
)

// clusterTimeout bounds GET /api/v1/cluster; each unreachable peer already
// gives up after a second.
const clusterTimeout = 5 * time.Second

// cluster answers GET /api/v1/cluster: the leader, the term and every
// node's state, as this node sees them.
func (s *server) cluster(c *fiber.Ctx) error {
	if err := s.authorizeOperator(c); err != nil {
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

// authorizeOperator lets through a caller on this machine (loopback) or one
// that presents the cluster key as a Bearer token, when a key is set.
//
// It stands in for the operator role until the members issue brings
// accounts and API tokens: that issue replaces this function by a check of
// the caller's `operator` role.
func (s *server) authorizeOperator(c *fiber.Ctx) error {
	if c.Context().RemoteIP().IsLoopback() {
		return nil
	}
	token, found := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	key := s.deps.ClusterKey
	if found && key != "" && subtle.ConstantTimeCompare([]byte(token), []byte(key)) == 1 {
		return nil
	}
	return raftdata.Errorf(raftdata.CodeUnauthorized, "this call is for operators: call it from the node's machine or with the cluster key as a Bearer token")
}
