package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/server"
)

// inviteGuest answers POST /api/v1/guests {"name","email","days"}
// (operators): 201 with how the guest signs in: their email and the
// password drawn for them, shown this once (never stored in clear, never
// logged: the request log holds the route and the status only).
func (s *api) inviteGuest(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	var in members.GuestInput
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	g, err := s.Deps.Members.InviteGuest(c.UserContext(), a, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": g.Account.ID, "name": g.Account.Name, "email": g.Account.Email,
		"expires_at": g.Account.ExpiresAt, "sign_in": fiber.Map{"login": "/login", "email": g.Account.Email, "password": g.Password}})
}

// setCollege answers PUT /api/v1/members/{id}/college {"college"}
// (operators; "" clears it): journaled like a role.
func (s *api) setCollege(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	var in struct {
		College *string `json:"college"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.College == nil {
		return server.Invalid("college_required", "college is required (\"\" clears it)").On("college")
	}
	if err := s.Deps.Members.SetCollege(c.UserContext(), a, c.Params("id"), *in.College); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"college": *in.College})
}
