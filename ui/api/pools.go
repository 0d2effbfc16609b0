package api

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/ui/server"
)

// listPools answers GET /api/v1/pools: public, every pool with its schema
// and documentation.
func (s *api) listPools(c *fiber.Ctx) error {
	pools, err := s.Deps.Pools.Pools(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"pools": pools})
}

// getPool answers GET /api/v1/pools/{pool}.
func (s *api) getPool(c *fiber.Ctx) error {
	p, err := s.Deps.Pools.Pool(c.UserContext(), c.Params("pool"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// createPool answers POST /api/v1/pools (operators).
func (s *api) createPool(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleOperator); err != nil {
		return err
	}
	var p pooling.Pool
	if err := server.DecodeJSON(c, &p); err != nil {
		return err
	}
	created, err := s.Deps.Pools.CreatePool(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(created)
}

// setConsent answers PUT /api/v1/pools/{pool}/consent {"granted"}.
func (s *api) setConsent(c *fiber.Ctx) error {
	a, err := server.RequireContributor(c)
	if err != nil {
		return err
	}
	var in struct {
		Granted *bool `json:"granted"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Granted == nil {
		return server.Invalid("granted_required", "granted (true or false) is required").On("granted")
	}
	consent, err := s.Deps.Pools.SetConsent(c.UserContext(), a.ID, c.Params("pool"), *in.Granted)
	if err != nil {
		return err
	}
	return c.JSON(consent)
}

// contribute answers POST /api/v1/pools/{pool}/records: a JSON array of
// records, or a CSV file (Content-Type text/csv). An Idempotency-Key
// header makes a retried upload harmless. A batch with a bad row is
// refused whole, each bad row listed.
func (s *api) contribute(c *fiber.Ctx) error {
	a, err := server.RequireContributor(c)
	if err != nil {
		return err
	}
	pool, err := s.Deps.Pools.Pool(c.UserContext(), c.Params("pool"))
	if err != nil {
		return err
	}
	var rows []map[string]any
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), "text/csv") {
		parsed, rowErrs := pooling.ParseCSV(pool, bytes.NewReader(c.Body()))
		if len(rowErrs) > 0 {
			return pooling.NewBatchError(rowErrs)
		}
		rows = parsed.Rows
	} else {
		dec := json.NewDecoder(bytes.NewReader(c.Body()))
		if err := dec.Decode(&rows); err != nil {
			return server.Invalid("records_json", "records: a JSON array of objects keyed by field name is expected (%s)", server.DescribeJSONError(err))
		}
	}
	res, err := s.Deps.Pools.Contribute(c.UserContext(), a.ID, pool.ID, rows, c.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(res)
}

// myConsents answers GET /api/v1/me/consents.
func (s *api) myConsents(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	current, history, err := s.Deps.Pools.Consents(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"consents": current, "history": history})
}

// myRecords answers GET /api/v1/me/records?pool=ID.
func (s *api) myRecords(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	recs, err := s.Deps.Pools.Records(c.UserContext(), a.ID, c.Query("pool"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"records": recs})
}

// rectifyRecord answers PUT /api/v1/me/records/{id} with the record's
// corrected values.
func (s *api) rectifyRecord(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	var values map[string]any
	if err := server.DecodeJSON(c, &values); err != nil {
		return err
	}
	if err := s.Deps.Pools.Rectify(c.UserContext(), a.ID, c.Params("id"), values); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rectified": true})
}

// deleteRecord answers DELETE /api/v1/me/records/{id}.
func (s *api) deleteRecord(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	if err := s.Deps.Pools.DeleteRecord(c.UserContext(), a.ID, c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deleted": true})
}

// exportPoolCSV answers GET /api/v1/me/export/{pool}.csv.
func (s *api) exportPoolCSV(c *fiber.Ctx) error {
	a, err := server.RequireAccount(c)
	if err != nil {
		return err
	}
	pool := strings.TrimSuffix(c.Params("file"), ".csv")
	var buf bytes.Buffer
	if err := s.Deps.Pools.WriteCSV(c.UserContext(), &buf, a.ID, pool); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+pool+`.csv"`)
	return c.Send(buf.Bytes())
}

// sandbox answers POST /api/v1/sandbox/{pool}/queries[?epsilon=E] with a
// bare query: researchers shape a proposal on the pool's synthetic twin,
// with no vote and no budget; suppression follows the rulebook's cohort
// floor, and with epsilon each figure carries the noise of one run at
// that budget and its 95 % interval.
func (s *api) sandbox(c *fiber.Ctx) error {
	if _, err := server.RequireRole(c, members.RoleResearcher); err != nil {
		return err
	}
	var q pooling.Query
	if err := server.DecodeJSON(c, &q); err != nil {
		return err
	}
	rules, err := s.Deps.Rules.Current(c.UserContext())
	if err != nil {
		return err
	}
	eps, err := server.SandboxEpsilon(strings.TrimSpace(c.Query("epsilon")))
	if err != nil {
		return err
	}
	ans, err := s.Deps.Pools.Sandbox(c.UserContext(), c.Params("pool"), q, pooling.SandboxOptions{MinCohort: rules.Rules.Disclosure.MinCohortFloor, Epsilon: eps})
	if err != nil {
		return err
	}
	return c.JSON(ans)
}
