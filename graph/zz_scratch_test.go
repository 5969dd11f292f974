package graph_test

import (
	"fmt"
	"net/http"
	"testing"

	"authbff/rest/apitest"
)

func TestZZScratch(t *testing.T) {
	e := apitest.New(t)
	p := func(label string, r *apitest.GQLResponse) { fmt.Printf("== %s: %d %s\n", label, r.Status, r.Raw) }
	pr := func(label string, r *apitest.Response) { fmt.Printf("== %s: %d %s\n", label, r.Status, r.Body) }
	reg := `mutation($input: RegisterInput!){register(input:$input){accessToken refreshToken tokenType expiresIn user{id email username fullName authProvider isActive isVerified roles avatarUrl bio timezone locale preferences settings createdAt updatedAt lastLogin defaultWorkspaceId hasPassword}}}`
	p("reg ok", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "a@example.com", "username": "alice", "password": "correct horse battery"}}, ""))
	p("reg bad", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "nope", "username": "a!", "password": "short"}}, ""))
	p("reg missing", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "b@example.com", "username": "bob"}}, ""))
	p("reg pw number", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "b@example.com", "username": "bob", "password": 12345678}}, ""))
	p("reg common", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "b@example.com", "username": "bob", "password": "password123"}}, ""))
	p("reg same as user", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "b@example.com", "username": "bobbobbob", "password": "BobBobBob"}}, ""))
	p("reg dup", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "A@example.com", "username": "alice2", "password": "correct horse battery"}}, ""))
	p("reg dup user", e.GraphQL(reg, map[string]any{"input": map[string]any{"email": "c@example.com", "username": "ALICE", "password": "correct horse battery"}}, ""))
	pr("rest reg bad", e.Do("POST", "/v1/auth/register", map[string]any{"email": "nope", "username": "a!", "password": "short"}, ""))
	pr("rest reg dup", e.Do("POST", "/v1/auth/register", map[string]any{"email": "c@example.com", "username": "ALICE", "password": "correct horse battery"}, ""))
	p("me none", e.GraphQL(`{me{id}}`, nil, ""))
	p("me bad", e.GraphQL(`{me{id}}`, nil, "garbage"))
	p("refresh missing", e.GraphQL(`mutation($refreshToken: String!){refreshToken(refreshToken:$refreshToken){accessToken}}`, map[string]any{}, ""))
	p("refresh literal int", e.GraphQL(`mutation{refreshToken(refreshToken:5){accessToken}}`, nil, ""))
	p("refresh bad", e.GraphQL(`mutation{refreshToken(refreshToken:"x"){accessToken}}`, nil, ""))
	p("resend bad", e.GraphQL(`mutation{resendVerification(email:"x")}`, nil, ""))
	p("verify bad", e.GraphQL(`mutation{verifyEmail(token:"x")}`, nil, ""))
	p("switch bad", e.GraphQL(`mutation{switchOrg(orgId:"x"){orgId}}`, nil, ""))
	a := e.Register("carol")
	p("switch bad2", e.GraphQL(`mutation{switchOrg(orgId:"x"){orgId}}`, nil, a.Access))
	up := `mutation($input: UpdateProfileInput!){updateProfile(input:$input){fullName bio timezone preferences username}}`
	p("up prefs", e.GraphQL(up, map[string]any{"input": map[string]any{"preferences": []any{1}, "timezone": "Mars/Base", "username": nil}}, a.Access))
	p("up prefs str", e.GraphQL(up, map[string]any{"input": map[string]any{"preferences": "x"}}, a.Access))
	p("up null user", e.GraphQL(up, map[string]any{"input": map[string]any{"username": nil}}, a.Access))
	p("up tz", e.GraphQL(up, map[string]any{"input": map[string]any{"timezone": "Mars/Base", "avatarUrl": "ftp://x"}}, a.Access))
	p("chpw", e.GraphQL(`mutation{changePassword(input:{currentPassword:"nope-nope", newPassword:"x"})}`, nil, a.Access))
	p("chpw2", e.GraphQL(`mutation{changePassword(input:{currentPassword:"nope-nope", newPassword:"xxxxxxxxxxxxx"})}`, nil, a.Access))
	r := e.Do(http.MethodGet, "/graphql?query="+"%7BauthConfig%7BallowRegistration%7D%7D", nil, "")
	pr("get q", r)
	pr("get m", e.Do(http.MethodGet, "/graphql?query="+"mutation%7Blogout%7D", nil, ""))
	pr("nonjson", e.Do(http.MethodPost, "/graphql", "{\"query\": \"secretpw", ""))
	pr("nonjson ct", e.Do(http.MethodPost, "/graphql", "secretpw", "", "Content-Type", "text/plain"))
	pr("intro", e.Do(http.MethodPost, "/graphql", map[string]any{"query": "{__schema{queryType{name}}}"}, ""))
	pr("rest refresh bad", e.Do("POST", "/v1/auth/refresh", map[string]any{"refresh_token": "x"}, ""))
}
