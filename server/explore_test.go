package server_test

import (
	"net/http"
	"testing"

	"authbff/graph/auth/commonpw"
	"authbff/rest/apitest"
)

// A service that has checked no password holds no common-password list (issue 12: idle
// memory). Generating the OpenAPI document probes the password rule, which loads it, so
// the document is generated on its first request, not when the server is built. Not
// parallel: nothing else in this package may check a password.
func TestOpenAPIDocumentWaitsForItsFirstRequest(t *testing.T) {
	e := apitest.New(t)
	if commonpw.Loaded() {
		t.Fatal("building the server loaded the common-password list")
	}
	r := e.Do(http.MethodGet, "/openapi.json", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", r.Status, r.Body)
	}
	if doc := r.Object(t); doc["openapi"] == nil || doc["paths"] == nil {
		t.Fatalf("not an OpenAPI document: %s", r.Body)
	}
	if !commonpw.Loaded() {
		t.Fatal("the password rule's probe did not run: the document's password limits cannot be right")
	}
	again := e.Do(http.MethodGet, "/openapi.json", nil, "")
	if again.Status != http.StatusOK || string(again.Body) != string(r.Body) {
		t.Fatalf("second GET /openapi.json differs: %d", again.Status)
	}
}
