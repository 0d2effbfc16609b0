package server

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"coop/members"
	"coop/pooling"
	"coop/raftdata"
)

// errorBody is the JSON shape of every error answer:
// {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	raftdata.Error
	// Rows lists each bad row of a refused contribution.
	Rows []pooling.RowError `json:"rows,omitempty"`
}

// WriteError is the one place where an error becomes an HTTP answer: its
// raftdata code gives the status, its message the sentence. An error
// without a code is internal, and its text is not shown.
func WriteError(c *fiber.Ctx, err error) error {
	e := AsCoded(err)
	body := errorBody{Error: errorDetail{Error: e}}
	var be *pooling.BatchError
	if errors.As(err, &be) {
		body.Error.Rows = be.Rows
	}
	var le *members.LimitError
	if errors.As(err, &le) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(time.Until(le.RetryAt).Seconds()+0.5))))
	}
	return c.Status(StatusOf(e.Code)).JSON(body)
}

// StatusOf is the HTTP status of an error code: raftdata's, and the one
// code of the edge alone (415).
func StatusOf(code raftdata.Code) int {
	if code == CodeUnsupportedMedia {
		return fiber.StatusUnsupportedMediaType
	}
	return code.HTTPStatus()
}

// AsCoded turns err into a code and a message fit for the caller. fiber's
// own errors (no route, body too large) carry an HTTP status instead.
func AsCoded(err error) raftdata.Error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			msg = "the request body is over the 4 MiB limit"
		}
		return raftdata.Error{Code: codeOfStatus(fe.Code), Message: msg}
	}
	var e *raftdata.Error
	if errors.As(err, &e) {
		return *e
	}
	return raftdata.Error{Code: raftdata.CodeInternal, Message: raftdata.ErrorMessage(err)}
}

func codeOfStatus(status int) raftdata.Code {
	switch status {
	case fiber.StatusUnauthorized:
		return raftdata.CodeUnauthorized
	case fiber.StatusForbidden:
		return raftdata.CodeForbidden
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return raftdata.CodeNotFound
	case fiber.StatusConflict:
		return raftdata.CodeConflict
	case fiber.StatusTooManyRequests:
		return raftdata.CodeTooMany
	case fiber.StatusUnsupportedMediaType:
		return CodeUnsupportedMedia
	case fiber.StatusServiceUnavailable, fiber.StatusRequestTimeout, fiber.StatusGatewayTimeout:
		return raftdata.CodeUnavailable
	}
	if status >= 400 && status < 500 {
		return raftdata.CodeInvalid
	}
	return raftdata.CodeInternal
}

// HandleError is fiber's ErrorHandler: an error a handler returns is logged
// when it is internal (the caller sees only "internal error"), then written.
func (s *Server) HandleError(c *fiber.Ctx, err error) error {
	if AsCoded(err).Code == raftdata.CodeInternal {
		s.Log.Error("request failed", "route", RouteLabel(c), "request_id", RequestIDOf(c), "error", err)
	}
	if s.PageError != nil && wantsPage(c) {
		return s.PageError(c, err)
	}
	return WriteError(c, err)
}

// wantsPage tells whether an error should be answered with a web page
// (a browser on a page route) rather than the JSON error body.
func wantsPage(c *fiber.Ctx) bool {
	p := c.Path()
	return !strings.HasPrefix(strings.ToLower(p), "/api/") && !strings.HasPrefix(p, raftdata.InternalPrefix) &&
		p != "/healthz" && p != "/readyz" && p != "/metrics"
}
