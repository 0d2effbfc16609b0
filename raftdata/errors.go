package raftdata

import (
	"errors"
	"fmt"
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
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
