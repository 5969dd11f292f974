package auth

import (
	"errors"
	"fmt"

	"authbff/ent"
)

// Code is a stable error code shared by the REST envelope and GraphQL extensions.code.
// New codes are appended; existing ones are never renamed (legacy clients match on them).
type Code string

// The contract's codes (CONTRACT.md §2), plus VALIDATION_ERROR for invalid input.
const (
	CodeBadRequest         Code = "BAD_REQUEST"
	CodeInvalidToken       Code = "INVALID_TOKEN"
	CodeInvalidPassword    Code = "INVALID_PASSWORD"
	CodeAuthFailed         Code = "AUTHENTICATION_FAILED"
	CodeForbidden          Code = "FORBIDDEN"
	CodeNotFound           Code = "NOT_FOUND"
	CodeMethodNotAllowed   Code = "METHOD_NOT_ALLOWED"
	CodeConflict           Code = "CONFLICT"
	CodePayloadTooLarge    Code = "PAYLOAD_TOO_LARGE"
	CodeRateLimited        Code = "RATE_LIMIT_EXCEEDED"
	CodeInternal           Code = "INTERNAL_SERVER_ERROR"
	CodeServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	CodeValidation         Code = "VALIDATION_ERROR"
)

// Messages used by more than one code path.
const (
	MsgAuthRequired     = "Authentication required"
	MsgInvalidLogin     = "Invalid username or password"
	MsgInvalidToken     = "Invalid or expired token"
	MsgForbidden        = "You don't have permission to perform this action"
	MsgInternal         = "An unexpected error occurred"
	MsgRateLimited      = "Too many requests. Please try again later."
	MsgUnavailable      = "Service temporarily unavailable. Please try again later."
	MsgValidation       = "Invalid input"
	MsgRegistrationOff  = "Registration is disabled"
	MsgInvalidRefresh   = "Invalid or expired refresh token"
	MsgWrongPassword    = "Current password is incorrect"
	MsgAccountInactive  = "Account is deactivated"
	MsgInvalidInvite    = "Invalid or expired invitation"
	MsgConflictEmail    = "Email already registered"
	MsgConflictUsername = "Username already taken"
)

// Error is the one error type of the service. Transports render it: graph/errors.go into
// extensions.code/details, rest/ into the {error, message, details, timestamp, status_code}
// envelope or, for CodeValidation, a FastAPI-style 422.
type Error struct {
	Code    Code
	Message string
	// Details is rendered as the envelope's details object (never nil when rendered).
	Details map[string]any
	// Fields holds the entries of a CodeValidation error, in declaration order.
	Fields []FieldError
	// RetryAfter is whole seconds, for CodeRateLimited and CodeServiceUnavailable.
	RetryAfter int
	// cause is the internal error behind a CodeInternal; logged, never shown.
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return string(e.Code) + ": " + e.Message
}

// DetailsMap is the details object both transports render: Details, plus retry_after
// (whole seconds, at least 1) for a rate limit or an overload that says when to retry.
func (e *Error) DetailsMap() map[string]any {
	d := make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		d[k] = v
	}
	if e.Code == CodeRateLimited || e.RetryAfter > 0 {
		d["retry_after"] = max(e.RetryAfter, 1)
	}
	return d
}

// Unwrap exposes the internal cause to errors.Is/As (for logging).
func (e *Error) Unwrap() error { return e.cause }

// Cause returns the internal error behind the error, if any, for the log.
func (e *Error) Cause() error { return e.cause }

func newError(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// errAuthRequired is returned when a bearer token is needed and absent or not valid.
func errAuthRequired() *Error { return newError(CodeAuthFailed, MsgAuthRequired) }

// ErrAuthRequired is AUTHENTICATION_FAILED "Authentication required".
func ErrAuthRequired() *Error { return errAuthRequired() }

func errForbidden(permission string) *Error {
	e := newError(CodeForbidden, MsgForbidden)
	if permission != "" {
		e.Details = map[string]any{"required_permission": permission}
	}
	return e
}

func errConflict(field string) *Error {
	msg := MsgConflictEmail
	if field == "username" {
		msg = MsgConflictUsername
	}
	return &Error{Code: CodeConflict, Message: msg, Details: map[string]any{"field": field}}
}

// errOverloaded is the answer (SERVICE_UNAVAILABLE) when password hashing cannot start
// in time.
func errOverloaded() *Error {
	return &Error{Code: CodeServiceUnavailable, Message: MsgUnavailable, RetryAfter: 1}
}

// Internal wraps an unexpected error. Storage that is unreachable or busy becomes
// SERVICE_UNAVAILABLE (retry later); anything else INTERNAL_SERVER_ERROR. Either way
// the cause is kept for the log and never rendered.
func Internal(err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if isUnavailable(err) {
		return &Error{Code: CodeServiceUnavailable, Message: MsgUnavailable, RetryAfter: unavailableRetryAfter, cause: err}
	}
	return &Error{Code: CodeInternal, Message: MsgInternal, cause: err}
}

// isCode reports whether err is an *Error with code.
func isCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// isConstraint reports whether err comes from a unique or foreign-key violation.
func isConstraint(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.cause != nil {
		err = e.cause
	}
	return err != nil && ent.IsConstraintError(err)
}
