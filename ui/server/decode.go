package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gofiber/fiber/v2"

	"coop/raftdata"
)

// DecodeJSON reads the request body into v: JSON only, no unknown fields,
// a single value. Every failure is a 400 with a sentence saying what is
// wrong and where.
func DecodeJSON(c *fiber.Ctx, v any) error {
	return decodeBody(c.Body(), v)
}

// decodeBody is DecodeJSON on bytes (fuzzed in decode_test.go).
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Invalid("body_empty", "the request body is empty: a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Invalid("body_invalid", "the request body is not valid: %s", DescribeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Invalid("body_invalid", "the request body holds more than one JSON value")
	}
	return nil
}

func DescribeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("expected %s, not %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	default:
		return err.Error()
	}
}

// Invalid is a 400 with its reason and a sentence.
func Invalid(reason, format string, args ...any) *raftdata.Error {
	return raftdata.Refuse(raftdata.CodeInvalid, reason, format, args...)
}
