package raftdata

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Code classifies an error so that every layer can react to it without
// parsing messages: the ui maps codes to HTTP statuses in one place.
// Codes travel through the Raft log (a refused command's error is part of
// its result), so they are plain strings and never change meaning.
type Code string

const (
	CodeInvalid      Code = "invalid"      // bad input: 400
	CodeUnauthorized Code = "unauthorized" // no or bad credentials: 401
	CodeForbidden    Code = "forbidden"    // known caller, not allowed: 403
	CodeNotFound     Code = "not_found"    // 404
	CodeConflict     Code = "conflict"     // state forbids it (already voted, closed): 409
	CodeTooMany      Code = "too_many"     // rate limited: 429
	CodeUnavailable  Code = "unavailable"  // no leader, shutting down, timeout: 503
	CodeInternal     Code = "internal"     // a bug or a fault: 500
)

// Error is an error with a Code and a sentence meant for the person who
// caused it. Domain handlers return it to refuse a command; the refusal is
// recorded as the command's result on every node.
//
// A refusal a person can meet also names its Reason (a word in snake_case,
// "password_short") and the values its sentence mentions (Params): pages
// show the sentence of their own language for the reason, filled with the
// values, and never parse Message, which stays English for the API. Field
// names the input the refusal is about, so a form shows it next to that
// input.
type Error struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Reason  string            `json:"reason,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Field   string            `json:"field,omitempty"`
	// Problems lists each mistake of an input refused for several (a form
	// with two wrong fields); the error's own reason is the first's.
	Problems []*Error `json:"problems,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Refuse builds an *Error with its reason and a formatted English message;
// With adds the values the sentence names, On the input it is about.
func Refuse(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ReasonMalformed is the reason of a command no client should have built
// (a payload the proposing node's own checks would have refused): pages
// show a generic sentence for it.
const ReasonMalformed = "malformed"

// Malformed refuses a malformed command (CodeInvalid, ReasonMalformed).
func Malformed(format string, args ...any) *Error {
	return Refuse(CodeInvalid, ReasonMalformed, format, args...)
}

// With adds a parameter to the refusal and returns it: numbers are written
// as Go writes them (12, 0.5), times in RFC 3339 (UTC), anything else as
// fmt.Sprint does.
func (e *Error) With(name string, value any) *Error {
	if e.Params == nil {
		e.Params = map[string]string{}
	}
	e.Params[name] = paramText(value)
	return e
}

// On names the input the refusal is about and returns it.
func (e *Error) On(field string) *Error {
	e.Field = field
	return e
}

// Problems gathers what is wrong with one input, each a refusal of its
// own, in the order a person reads the input.
type Problems []*Error

// Add appends a problem.
func (p *Problems) Add(e *Error) { *p = append(*p, e) }

// AddFrom appends the problems of err, a refusal of a part of the input
// (the query of a proposal), each with prefix before its message. An err
// that is no *Error is added as it reads, with reason.
func (p *Problems) AddFrom(err error, reason, prefix string) {
	var e *Error
	if !errors.As(err, &e) {
		p.Add(Refuse(CodeInvalid, reason, "%s%v", prefix, err))
		return
	}
	parts := e.Problems
	if len(parts) == 0 {
		parts = []*Error{e}
	}
	for _, part := range parts {
		c := *part
		c.Message = prefix + strings.TrimPrefix(c.Message, prefix)
		p.Add(&c)
	}
}

// Err is nil without problems. Otherwise it is one refusal of code: its
// message is prefix followed by every problem's message (in order, joined
// by "; "), its reason, parameters and field are the first problem's, and
// Problems holds them all when there are several.
func (p Problems) Err(code Code, prefix string) error {
	if len(p) == 0 {
		return nil
	}
	msgs := make([]string, len(p))
	for i, e := range p {
		msgs[i] = e.Message
	}
	first := p[0]
	out := &Error{Code: code, Message: prefix + strings.Join(msgs, "; "), Reason: first.Reason, Params: first.Params, Field: first.Field}
	if len(p) > 1 {
		out.Problems = p
	}
	return out
}

func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// ErrorReason returns the reason of err's *Error, "" when it names none.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// ErrorCode returns the Code of err, CodeInternal for an error without one
// and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the human sentence of err: the message of an *Error,
// or a generic sentence for anything else, so internal details do not leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// HTTPStatus is the status code that answers an error of this code.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeInvalid:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeForbidden:
		return 403
	case CodeNotFound:
		return 404
	case CodeConflict:
		return 409
	case CodeTooMany:
		return 429
	case CodeUnavailable:
		return 503
	default:
		return 500
	}
}
