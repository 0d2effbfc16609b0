package ui

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"coop/pooling"
)

// Pools is what ui needs from pooling.
type Pools interface {
	Pools(ctx context.Context) ([]pooling.Pool, error)
	Pool(ctx context.Context, id string) (pooling.Pool, error)
	CreatePool(ctx context.Context, p pooling.Pool) (pooling.Pool, error)
}

// listPools answers GET /api/v1/pools: public, every pool with its schema
// and documentation.
func (s *server) listPools(c *fiber.Ctx) error {
	pools, err := s.deps.Pools.Pools(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"pools": pools})
}

// getPool answers GET /api/v1/pools/{pool}.
func (s *server) getPool(c *fiber.Ctx) error {
	p, err := s.deps.Pools.Pool(c.UserContext(), c.Params("pool"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// createPool answers POST /api/v1/pools (operators).
func (s *server) createPool(c *fiber.Ctx) error {
	if err := s.authorizeOperator(c); err != nil {
		return err
	}
	var p pooling.Pool
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	created, err := s.deps.Pools.CreatePool(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(created)
}
