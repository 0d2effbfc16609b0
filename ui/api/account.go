package api

import (
	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/ui/server"
)

// updateMe answers PATCH /api/v1/me {"name","email","current_password"}:
// the caller's name and email (an empty one keeps its value; a new email
// needs the current password, and gets a verification link).
func (s *api) updateMe(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Name            string `json:"name"`
		Email           string `json:"email"`
		CurrentPassword string `json:"current_password"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	updated, err := s.Deps.Members.UpdateProfile(c.UserContext(), a, in.Name, in.Email, in.CurrentPassword)
	if err != nil {
		return err
	}
	if updated.Email != a.Email {
		if err := s.SendVerification(c.UserContext(), updated, server.Lang(c)); err != nil {
			return err
		}
	}
	return c.JSON(updated)
}

// changePassword answers POST /api/v1/me/password
// {"current_password","new_password"}: every session ends; a browser is
// logged in again with the new password (API tokens stay).
func (s *api) changePassword(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Relogin(c, a, in.Current, in.New); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"changed": true})
}

// resendVerification answers POST /api/v1/me/email/verification: a new
// link to the caller's address (503 without email).
func (s *api) resendVerification(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	if s.Deps.Mailer == nil {
		return server.ErrNoMail()
	}
	if err := s.SendVerification(c.UserContext(), a, server.Lang(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true})
}

// verifyEmail answers POST /api/v1/email/verify {"token"}: the link's
// address is verified.
func (s *api) verifyEmail(c *fiber.Ctx) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Deps.Members.VerifyEmail(c.UserContext(), in.Token); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"verified": true})
}

// requestReset answers POST /api/v1/password/reset {"email"}: 202 and the
// same body whether or not an account uses the address; the link leaves
// by email when one does.
func (s *api) requestReset(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if s.Deps.Mailer == nil {
		return server.ErrNoMail()
	}
	s.IssueReset(in.Email, server.Lang(c))
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true})
}

// resetPassword answers POST /api/v1/password/reset/confirm
// {"token","password"}.
func (s *api) resetPassword(c *fiber.Ctx) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Deps.Members.ResetPassword(c.UserContext(), in.Token, in.Password); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reset": true})
}

// resetLink answers POST /api/v1/members/{id}/reset-link (operators): a
// one-time reset link to hand to the member by other means, shown in this
// answer only and never logged.
func (s *api) resetLink(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	link, err := s.Deps.Members.IssueResetFor(c.UserContext(), a, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"url": s.LinkURL("/password/reset", link.Token), "expires_at": link.ExpiresAt})
}
