package web

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"coop/proposals"
	"coop/ui/server"
)

// receiptPattern is the shape of a ballot's receipt (raftdata.NewID).
var receiptPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// receiptDownload answers POST /proposals/{id}/receipt (receipt,
// choice): the receipt the page showed once after a ballot, as a small
// text file the voter keeps, with what the published list will show of
// it and how to check it. The receipt travels in the form's body, never
// in a URL; nothing is stored.
func (w *web) receiptDownload(c *fiber.Ctx) error {
	prop, err := w.Deps.Proposals.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return w.errorPage(c, err)
	}
	receipt := strings.ToLower(strings.TrimSpace(c.FormValue("receipt")))
	if !receiptPattern.MatchString(receipt) {
		return w.errorPage(c, server.Invalid("receipt_invalid", "a receipt is 32 hexadecimal characters").On("receipt"))
	}
	tr := w.cat.For(server.Lang(c))
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	line(tr.T("receipt.file.title"))
	line("")
	line(tr.F("receipt.file.proposal", prop.Title))
	if choice := c.FormValue("choice"); choice == proposals.ChoiceYes || choice == proposals.ChoiceNo || choice == proposals.ChoiceAbstain {
		line(tr.F("receipt.file.choice", tr.T("choice."+choice)))
	}
	line(tr.F("receipt.file.receipt", receipt))
	line(tr.F("receipt.file.hash", proposals.ReceiptHash(receipt)))
	line("")
	line(tr.F("receipt.file.check", "/proposals/"+prop.ID+"/ballots"))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+tr.T("receipt.file.name")+"-"+prop.ID+`.txt"`)
	return c.SendString(b.String())
}
