// Package rest serves the fifteen /v1/auth routes of the service authbff replaces, as a
// view over the GraphQL API: each route is a row naming a persisted operation whose
// aliases produce the documented JSON, and one generic handler runs it in-process. The
// package owns only what is REST's: the bearer header and the body, FastAPI-style 422s,
// the error envelope and status codes; server.New mounts it (rest.API.Mount).
package rest

import (
	"net/http"

	"authbff/graph/auth"
)

// route is one /v1/auth endpoint.
type route struct {
	method string
	path   string // under /v1/auth
	op     string // operations/<op>.graphql
	auth   bool   // check the bearer token before reading anything else
	source source // where the operation's variables come from
	null   bool   // a success answers JSON null
	// form declares the domain input the operation's variables fill: each variable is
	// the JSON key (or query parameter) of the form's field of the same name, checked
	// at start-up (parseOperation). Required when the operation has variables.
	form auth.InputForm
}

// source says where a route's variables come from.
type source int

const (
	none  source = iota // no variables
	body                // a JSON object body: one key per variable
	query               // query-string parameters
)

// routes is the REST API. The route ↔ operation table in the README mirrors it.
var routes = []route{
	{method: http.MethodGet, path: "/config", op: "config"},
	{method: http.MethodGet, path: "/invite-info", op: "invite_info", source: query, form: auth.InviteInfoForm},
	{method: http.MethodGet, path: "/me", op: "me", auth: true},
	{method: http.MethodPost, path: "/register", op: "register", source: body, form: auth.RegisterForm},
	{method: http.MethodPost, path: "/login", op: "login", source: body, form: auth.LoginForm},
	{method: http.MethodPost, path: "/logout", op: "logout", auth: true, null: true},
	{method: http.MethodPost, path: "/verify-email", op: "verify_email", source: body, form: auth.VerifyEmailForm, null: true},
	{method: http.MethodPost, path: "/resend-verification", op: "resend_verification", source: body, form: auth.ResendVerificationForm, null: true},
	{method: http.MethodPost, path: "/refresh", op: "refresh", source: body, form: auth.RefreshForm},
	{method: http.MethodPost, path: "/switch-org", op: "switch_org", auth: true, source: body, form: auth.SwitchOrgForm},
	{method: http.MethodPost, path: "/forgot-password", op: "forgot_password", source: body, form: auth.ForgotPasswordForm, null: true},
	{method: http.MethodPost, path: "/reset-password", op: "reset_password", source: body, form: auth.ResetPasswordForm, null: true},
	{method: http.MethodGet, path: "/me/profile", op: "profile", auth: true},
	{method: http.MethodPut, path: "/me/profile", op: "update_profile", auth: true, source: body, form: auth.ProfileForm},
	{method: http.MethodPut, path: "/me/password", op: "change_password", auth: true, source: body, form: auth.ChangePasswordForm, null: true},
}
