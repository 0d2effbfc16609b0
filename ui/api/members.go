package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/ui/server"
)

// signup answers POST /api/v1/signup.
func (s *api) signup(c *fiber.Ctx) error {
	var in members.SignupInput
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Lang == "" {
		in.Lang = server.Lang(c)
	}
	a, err := s.Deps.Members.SignUp(c.UserContext(), in)
	if err != nil {
		return err
	}
	sess, err := s.SignedUp(c, in, a)
	if err != nil {
		return err
	}
	// A session token for Authorization: Bearer, and no cookie, as the API
	// login (browsers sign up through the page).
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": a.ID, "token": sess.Token, "expires_at": sess.ExpiresAt})
}

// login answers POST /api/v1/login: a session token, for Authorization:
// Bearer, and no cookie (browsers log in through the login page, whose
// form cannot be posted from another site).
func (s *api) login(c *fiber.Ctx) error {
	var in members.LoginInput // the address comes from the connection, never the body
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	in.Address = s.ClientIP(c)
	sess, err := s.Deps.Members.Login(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": sess.Token, "expires_at": sess.ExpiresAt, "charter_current": sess.CharterCurrent})
}

// logout answers POST /api/v1/logout.
func (s *api) logout(c *fiber.Ctx) error {
	if _, err := server.RequireAccount(c); err != nil {
		return err
	}
	token, _ := c.Locals(server.LocalToken).(string)
	if err := s.Deps.Members.Logout(c.UserContext(), token); err != nil {
		return err
	}
	c.ClearCookie(server.SessionCookie)
	return c.JSON(fiber.Map{"logged_out": true})
}

// me answers GET /api/v1/me.
func (s *api) me(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

// exportMe answers GET /api/v1/me/export: everything coop holds about the
// caller (right of access and portability).
func (s *api) exportMe(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	acct, err := s.Deps.Members.Export(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	pooled, err := s.Deps.Pools.Export(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="coop-export.json"`)
	return c.JSON(fiber.Map{"account": acct, "pooled_data": pooled})
}

// deleteMe answers DELETE /api/v1/me: the account stops at once, pooled
// data is erased (and compacted away on every node).
func (s *api) deleteMe(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	if err := s.Deps.Members.DeleteAccount(c.UserContext(), a, a.ID); err != nil {
		return err
	}
	c.ClearCookie(server.SessionCookie)
	return c.JSON(fiber.Map{"deleted": true})
}

// journalMe answers GET /api/v1/me/journal: the caller's logins, every
// use of their pooled data (which proposal, when, the privacy loss), and
// their privacy ledger: the consent sets of the runs they were in (with
// their token) or left out of, and what the last 12 months charged them
// against the rulebook's yearly cap.
func (s *api) journalMe(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	logins, err := s.Deps.Members.Journal(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	uses, err := s.Deps.Pools.AccessJournal(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	ledger, err := s.Deps.Pools.Ledger(c.UserContext(), a.ID, time.Now())
	if err != nil {
		return err
	}
	rules, err := s.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"connections": logins, "data_uses": uses, "privacy_loss": pooling.PrivacyLoss(uses),
		"ledger": ledger, "yearly_cap": rules.Rules.Disclosure.MemberEpsilonPerYear()})
}

// signCharter answers POST /api/v1/me/charter {"kind","lang"}.
func (s *api) signCharter(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in struct {
		Kind string `json:"kind"`
		Lang string `json:"lang"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = string(members.CharterMember)
	}
	if err := s.Deps.Members.SignCharter(c.UserContext(), a, members.CharterKind(in.Kind), in.Lang); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"signed": true})
}

// listTokens answers GET /api/v1/me/tokens.
func (s *api) listTokens(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	toks, err := s.Deps.Members.Tokens(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"tokens": toks})
}

// createToken answers POST /api/v1/me/tokens {"name","scopes",
// "expires_in_days"} (a login session only: apiRoutes): the token is
// shown this once.
func (s *api) createToken(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var in members.TokenRequest
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	tok, err := s.Deps.Members.CreateToken(c.UserContext(), a, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tok)
}

// revokeToken answers DELETE /api/v1/me/tokens/{id}.
func (s *api) revokeToken(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	if err := s.Deps.Members.RevokeToken(c.UserContext(), a, c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": true})
}

// listMembers answers GET /api/v1/members[?q=&page=] (operators): a page
// of the accounts and their roles (members.AccountsPage), never pooled
// data.
func (s *api) listMembers(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	list, err := s.Deps.Members.AccountsPage(c.UserContext(), a, c.Query("q"), c.QueryInt("page", 1))
	if err != nil {
		return err
	}
	return c.JSON(list)
}

// grantRole answers POST /api/v1/members/{id}/roles {"role"} (operators).
func (s *api) grantRole(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Deps.Members.GrantRole(c.UserContext(), a, c.Params("id"), in.Role); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"granted": in.Role})
}

// revokeRole answers DELETE /api/v1/members/{id}/roles/{role} (operators).
func (s *api) revokeRole(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	if err := s.Deps.Members.RevokeRole(c.UserContext(), a, c.Params("id"), c.Params("role")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": c.Params("role")})
}

// setAccountStatus answers POST /api/v1/members/{id}/suspend and
// /reinstate (operators).
func (s *api) setAccountStatus(suspend bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, err := server.RequireRole(c, members.RoleOperator)
		if err != nil {
			return err
		}
		op := s.Deps.Members.Reinstate
		if suspend {
			op = s.Deps.Members.Suspend
		}
		if err := op(c.UserContext(), a, c.Params("id")); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"suspended": suspend})
	}
}

// deleteMember answers DELETE /api/v1/members/{id} (operators).
func (s *api) deleteMember(c *fiber.Ctx) error {
	a, err := server.RequireRole(c, members.RoleOperator)
	if err != nil {
		return err
	}
	if err := s.Deps.Members.DeleteAccount(c.UserContext(), a, c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": true})
}
