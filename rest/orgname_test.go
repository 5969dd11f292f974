package rest_test

// Organization names appear in invitation mails (issue 8 §6): no control or format
// characters, a length cap, and quoted with anything unsafe replaced in the mail.

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"authbff/graph/auth"
)

func TestOrganizationNameRules(t *testing.T) {
	t.Parallel()
	e := ivEnv(t)
	a := e.Register("founder")
	cases := []struct{ name, value, typ string }{
		{"ErrNewline", "Acme\r\nBcc: evil@example.com", "value_error"},
		{"ErrNUL", "Acme\x00", "value_error"},
		{"ErrBidiOverride", "Acme\u202eemca", "value_error"},
		{"ErrZeroWidth", "Ac\u200bme", "value_error"},
		{"ErrLineSeparator", "Acme\u2028Inc", "value_error"},
		{"ErrTooLong", strings.Repeat("a", auth.OrgNameMaxLen+1), "string_too_long"},
		{"ErrBlank", "   ", "string_too_short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.For(t).GraphQL(ivCreateOrgOp, obj{"name": c.value}, a.Access)
			if len(d.Errors) != 1 || d.Errors[0].Code() != "VALIDATION_ERROR" {
				t.Fatalf("createOrganization(%q): %s", c.value, d.Raw)
			}
			entries, _ := d.Errors[0].Extensions["details"].([]any)
			if len(entries) != 1 || entries[0].(map[string]any)["type"] != c.typ {
				t.Errorf("details = %v, want one %s entry", d.Errors[0].Extensions["details"], c.typ)
			}
		})
	}
	t.Run("OK_UnicodeName", func(t *testing.T) {
		ivCreateOrg(t, e.For(t), a.Access, "Société Générale — 東京")
	})
	t.Run("OK_OldUnsafeNameQuotedAndNeutralizedInMail", func(t *testing.T) {
		org := ivCreateOrg(t, e.For(t), a.Access, "Acme")
		// A name stored before the rule existed.
		if err := e.DB.Organization.UpdateOneID(uuid.MustParse(org)).SetName("Acme\r\nBcc: evil@example.com").
			Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		ivInvite(t, e.For(t), a.Access, org, "guest@example.com", "MEMBER", 1)
		m := e.WaitMail("guest@example.com", auth.MailInvite, 1)
		want := "You are invited to join “Acme\uFFFD\uFFFDBcc: evil@example.com”"
		if m.Subject != want {
			t.Errorf("subject = %q, want %q", m.Subject, want)
		}
		if strings.ContainsAny(m.Text, "\r") || strings.Contains(m.Text, "\nBcc:") {
			t.Errorf("text carries the name's line break: %q", m.Text)
		}
	})
}
