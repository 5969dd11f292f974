package rest_test

import (
	"net/http"
	"testing"

	"authbff/rest/apitest"
)

func TestSmokeRegisterVerifyLogin(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("alice")
	m := e.WaitMail(a.Email, "verify_email", 1)
	if r := e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": m.Token()}, ""); r.Status != 200 || string(r.Body) != "null" {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	r := e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access)
	if r.Status != 200 || r.Object(t)["is_verified"] != true {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
}
