package rest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/graph/auth/commonpw"
	"authbff/rest/apitest"
)

// The password policy (CONTRACT.md §7) on every REST path that sets a password:
// register, register with an invitation, reset and change. A refused password is one
// 422 entry of type value_error, as a pydantic field validator writes it, never echoed.

// commonPassword is in the embedded list (TestPasswordPolicyPremises checks it).
const commonPassword = "password123"

// The account the policy cases are about: its username and the local part of its
// e-mail differ, so each rule is seen on its own.
const (
	policyUsername = "Snoopy.Dog"
	policyEmail    = "Dora.Explorer@example.com"
)

// policyCase is a password refused for the policy account, with the reason.
type policyCase struct {
	name, password, reason string
}

var policyCases = []policyCase{
	{"ErrCommon", commonPassword, commonpw.ReasonCommon},
	{"ErrCommonIgnoringCase", "PassWord123", commonpw.ReasonCommon},
	{"ErrEqualsUsernameIgnoringCase", "snoopy.DOG", commonpw.ReasonUsername},
	{"ErrEqualsEmailIgnoringCase", "dora.explorer@EXAMPLE.COM", commonpw.ReasonEmail},
	{"ErrEqualsEmailLocalPartIgnoringCase", "DORA.EXPLORER", commonpw.ReasonEmail},
	// Compared after NFKC and case folding, invisible characters at either end ignored.
	{"ErrCommonFullwidth", "ｐａｓｓｗｏｒｄ１２３", commonpw.ReasonCommon},
	{"ErrCommonSurroundingSpaces", "  password123 \t", commonpw.ReasonCommon},
	{"ErrCommonTrailingZeroWidthSpace", "password123\u200b", commonpw.ReasonCommon},
	{"ErrEqualsUsernameFullwidth", "ＳＮＯＯＰＹ．ｄｏｇ", commonpw.ReasonUsername},
	{"ErrEqualsEmailLocalPartSpaces", " Dora.Explorer ", commonpw.ReasonEmail},
	// Nothing visible.
	{"ErrEightNULs", strings.Repeat("\x00", 8), auth.ReasonInvisible},
	{"ErrZeroWidthSpaces", strings.Repeat("\u200b", 8), auth.ReasonInvisible},
	{"ErrSoftHyphens", strings.Repeat("\u00ad", 8), auth.ReasonInvisible},
	{"ErrSpacesAndTabs", "    \t\t\u3000\u00a0", auth.ReasonInvisible},
}

// wantPolicy422 fails unless r is the one-entry 422 refusing field with reason.
func wantPolicy422(t testing.TB, r *apitest.Response, field, reason string) {
	t.Helper()
	want422(t, r, `{"detail":[{"type":"value_error","loc":["body",`+strconv.Quote(field)+`],"msg":`+
		strconv.Quote("Value error, "+reason)+`,"input":"[redacted]","ctx":{"error":{}}}]}`)
}

func TestPasswordPolicyPremises(t *testing.T) {
	t.Parallel()
	if !commonpw.IsCommon(commonPassword) {
		t.Fatalf("%q is not in the common-password list; pick another for these tests", commonPassword)
	}
	for _, pw := range []string{strongPassword, "Snoopy-Doghouse-7", "snoopy.DOG", "dora.explorer@EXAMPLE.COM", "DORA.EXPLORER"} {
		if commonpw.IsCommon(pw) {
			t.Errorf("%q is common: the identity cases would test the wrong rule", pw)
		}
	}
}

// policyRegistration is the register body of the policy account with password pw.
func policyRegistration(pw string) obj {
	return obj{"email": policyEmail, "username": policyUsername, "password": pw}
}

func TestPasswordPolicyRegister(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	for _, c := range policyCases {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			wantPolicy422(t, e.Do(http.MethodPost, pRegister, policyRegistration(c.password), ""), "password", c.reason)
		})
	}
	t.Run("ErrPolicyEntryAfterOtherFields", func(t *testing.T) {
		e := e.For(t)
		r := e.Do(http.MethodPost, pRegister, obj{"email": "nope", "username": policyUsername, "password": "SNOOPY.dog"}, "")
		want422(t, r, `{"detail":[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign.","input":"nope","ctx":{"reason":"An email address must have an @-sign."}},`+
			`{"type":"value_error","loc":["body","password"],"msg":"Value error, `+commonpw.ReasonUsername+`","input":"[redacted]","ctx":{"error":{}}}]}`)
	})
	t.Run("OKStrongPassword", func(t *testing.T) {
		e := e.For(t)
		wantOK(t, e.Do(http.MethodPost, pRegister, policyRegistration(strongPassword), ""))
		e.Login(policyUsername, strongPassword)
	})
}

func TestPasswordPolicyRegisterWithInvite(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	owner := e.Register("owner")
	g := e.GraphQL(`mutation { createOrganization(name: "Peanuts") { organization { id } } }`, nil, owner.Access)
	m, _ := g.Data["createOrganization"].(map[string]any)
	org, _ := m["organization"].(map[string]any)
	orgID, _ := org["id"].(string)
	if orgID == "" {
		t.Fatalf("createOrganization: %s", g.Raw)
	}
	g = e.GraphQL(`mutation($org: ID!, $email: String!) { createInvite(orgId: $org, email: $email, role: MEMBER) { id } }`,
		obj{"org": orgID, "email": policyEmail}, owner.Access)
	if len(g.Errors) > 0 {
		t.Fatalf("createInvite: %s", g.Raw)
	}
	token := e.WaitMail(policyEmail, "invite", 1).Token()
	body := func(pw string) obj {
		b := policyRegistration(pw)
		b["invite_token"] = token
		return b
	}
	for _, c := range policyCases {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			wantPolicy422(t, e.Do(http.MethodPost, pRegister, body(c.password), ""), "password", c.reason)
		})
	}
	t.Run("OKStrongPasswordJoins", func(t *testing.T) {
		e := e.For(t)
		b := wantOK(t, e.Do(http.MethodPost, pRegister, body(strongPassword), ""))
		if v := member(t, member(t, b, "user"), "is_verified"); string(v) != "true" {
			t.Errorf("is_verified = %s, want true (the invitation proved the address)", v)
		}
		if info := mustDo(t, e, http.MethodGet, pInviteInfo+"?token="+token, nil, ""); string(info) != `{"email":null,"valid":false}` {
			t.Errorf("invite-info after use = %s, want the invitation consumed", info)
		}
	})
}

func TestPasswordPolicyReset(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	wantOK(t, e.Do(http.MethodPost, pRegister, policyRegistration(strongPassword), ""))
	wantNull(t, e.Do(http.MethodPost, pForgot, obj{"email": policyEmail}, ""))
	token := e.WaitMail(policyEmail, "reset_password", 1).Token()
	for _, c := range policyCases {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			wantPolicy422(t, e.Do(http.MethodPost, pReset, obj{"token": token, "new_password": c.password}, ""), "new_password", c.reason)
		})
	}
	t.Run("OKStrongPasswordWithTheSameToken", func(t *testing.T) {
		e := e.For(t)
		// A refused password does not consume the token.
		wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": token, "new_password": "Snoopy-Doghouse-7"}, ""))
		e.Login(policyUsername, "Snoopy-Doghouse-7")
	})
}

func TestPasswordPolicyChange(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	access := str(t, wantOK(t, e.Do(http.MethodPost, pRegister, policyRegistration(strongPassword), "")), "access_token")
	for _, c := range policyCases {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			r := e.Do(http.MethodPut, pPassword, obj{"current_password": strongPassword, "new_password": c.password}, access)
			wantPolicy422(t, r, "new_password", c.reason)
		})
	}
	t.Run("OKStrongPassword", func(t *testing.T) {
		e := e.For(t)
		wantNull(t, e.Do(http.MethodPut, pPassword, obj{"current_password": strongPassword, "new_password": "Snoopy-Doghouse-7"}, access))
		e.Login(policyEmail, "Snoopy-Doghouse-7")
	})
}

func TestPasswordPolicySameAsCurrent(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	access := str(t, wantOK(t, e.Do(http.MethodPost, pRegister, policyRegistration(strongPassword), "")), "access_token")
	r := e.Do(http.MethodPut, pPassword, obj{"current_password": strongPassword, "new_password": strongPassword}, access)
	wantPolicy422(t, r, "new_password", auth.ReasonSameAsCurrent)
	g := e.GraphQL(gqlChangePw, input(obj{"currentPassword": strongPassword, "newPassword": strongPassword}), access)
	if len(g.Errors) != 1 || g.Errors[0].Code() != "VALIDATION_ERROR" {
		t.Errorf("GraphQL changePassword to the same password: %s", g.Raw)
	}
	// Only the same password: a different case is another password.
	wantNull(t, e.Do(http.MethodPut, pPassword, obj{"current_password": strongPassword, "new_password": strings.ToUpper(strongPassword)}, access))
}

// TestPasswordVerificationUnchanged: the policy compares normalized forms, but a
// password is hashed and verified exactly as received (after NFC): existing hashes keep
// working, and a variant that the policy would call equal is another password.
func TestPasswordVerificationUnchanged(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	const spaced = "  Violet-Kettle-Orbit-42  "
	const fullwidth = "Ｖｉｏｌｅｔ-Ｋｅｔｔｌｅ-４２"
	wantOK(t, e.Do(http.MethodPost, pRegister, obj{"email": "a@example.com", "username": "spaced", "password": spaced}, ""))
	wantOK(t, e.Do(http.MethodPost, pRegister, obj{"email": "b@example.com", "username": "wide", "password": fullwidth}, ""))
	e.Login("spaced", spaced)
	e.Login("wide", fullwidth)
	wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": "spaced", "password": strings.TrimSpace(spaced)}, ""))
	wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": "wide", "password": "Violet-Kettle-42"}, ""))
}
