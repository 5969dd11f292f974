package auth_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"authbff/graph/auth"
)

// Unit tests of the input declarations (form.go, fields.go): each use case's Form lists
// its fields once, in the order of validation entries, and validates the typed input
// the service receives.

// forms is every use case's Form, by the input it declares.
var forms = map[string]auth.InputForm{
	"RegisterInput":           auth.RegisterForm,
	"CreateAccountInput":      auth.CreateAccountForm,
	"LoginInput":              auth.LoginForm,
	"RefreshInput":            auth.RefreshForm,
	"VerifyEmailInput":        auth.VerifyEmailForm,
	"ResendVerificationInput": auth.ResendVerificationForm,
	"ForgotPasswordInput":     auth.ForgotPasswordForm,
	"ResetPasswordInput":      auth.ResetPasswordForm,
	"SetPasswordInput":        auth.SetPasswordForm,
	"SwitchOrgInput":          auth.SwitchOrgForm,
	"InviteInfoInput":         auth.InviteInfoForm,
	"AcceptInviteInput":       auth.AcceptInviteForm,
	"CreateInviteInput":       auth.CreateInviteForm,
	"CreateOrganizationInput": auth.CreateOrganizationForm,
	"ProfileInput":            auth.ProfileForm,
	"ChangePasswordInput":     auth.ChangePasswordForm,
	"DeleteAccountInput":      auth.DeleteAccountForm,
}

// TestFormDeclarations pins each input's fields, in declaration order (the order of a
// 422's entries and of REST's variables), with their flags: NotNull (n), Object (o).
func TestFormDeclarations(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"RegisterInput":           "email username password full_name invite_token",
		"CreateAccountInput":      "email username password",
		"LoginInput":              "username password",
		"RefreshInput":            "refresh_token",
		"VerifyEmailInput":        "token",
		"ResendVerificationInput": "email",
		"ForgotPasswordInput":     "email",
		"ResetPasswordInput":      "token new_password",
		"SetPasswordInput":        "new_password",
		"SwitchOrgInput":          "org_id",
		"InviteInfoInput":         "token",
		"AcceptInviteInput":       "token",
		"CreateInviteInput":       "org_id email role",
		"CreateOrganizationInput": "name",
		"ProfileInput":            "full_name avatar_url bio timezone locale preferences(o) settings(o) username(n)",
		"ChangePasswordInput":     "current_password new_password",
		"DeleteAccountInput":      "current_password",
	}
	if len(want) != len(forms) {
		t.Fatalf("%d forms, %d expectations", len(forms), len(want))
	}
	for input, form := range forms {
		var got []string
		for _, f := range form.Fields() {
			s := string(f.Name)
			if f.Object {
				s += "(o)"
			}
			if f.NotNull {
				s += "(n)"
			}
			got = append(got, s)
			if !f.Name.Declared() {
				t.Errorf("%s: field %q is not a declared FieldName", input, f.Name)
			}
		}
		if g := strings.Join(got, " "); g != want[input] {
			t.Errorf("%s fields = %q, want %q", input, g, want[input])
		}
	}
}

// TestFieldNames: one declared set, no duplicates; exactly the password fields are secret.
func TestFieldNames(t *testing.T) {
	t.Parallel()
	names := auth.FieldNames()
	seen := map[auth.FieldName]bool{}
	var secret []auth.FieldName
	for _, n := range names {
		if seen[n] {
			t.Errorf("%q declared twice", n)
		}
		seen[n] = true
		if n.Secret() {
			secret = append(secret, n)
		}
	}
	slices.Sort(secret)
	if want := []auth.FieldName{auth.FieldCurrentPassword, auth.FieldNewPassword, auth.FieldPassword}; !slices.Equal(secret, want) {
		t.Errorf("secret fields %v, want %v", secret, want)
	}
	if auth.FieldName("new_pwd").Declared() || auth.FieldName("newPassword").Declared() {
		t.Error("an undeclared spelling is declared")
	}
}

// TestValidateTypedInput: the service's path. Validate checks every field of the typed
// input, reports the same entries as the transports' partial check, and on success
// writes the normalized values back into the input.
func TestValidateTypedInput(t *testing.T) {
	t.Parallel()
	entries := func(t *testing.T, err error) []string {
		t.Helper()
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != auth.CodeValidation {
			t.Fatalf("err = %v, want a VALIDATION_ERROR", err)
		}
		var out []string
		for _, f := range ae.Fields {
			out = append(out, string(f.Field)+":"+f.Type)
		}
		return out
	}

	t.Run("RegisterNormalizesEmail", func(t *testing.T) {
		t.Parallel()
		name := "Ada"
		in := auth.RegisterInput{Email: "Ada@EXAMPLE.com", Username: "ada", Password: "Correct-Horse-9", FullName: &name}
		if err := auth.RegisterForm.Validate(&in); err != nil {
			t.Fatal(err)
		}
		if in.Email != "Ada@example.com" || in.Username != "ada" || in.FullName != &name || in.InviteToken != nil {
			t.Fatalf("input after Validate: %+v", in)
		}
	})
	t.Run("RegisterEntriesInOrderWithIdentity", func(t *testing.T) {
		t.Parallel()
		long := strings.Repeat("x", 256)
		in := auth.RegisterInput{Email: "not-an-address", Username: "horse battery", Password: "Horse Battery", FullName: &long}
		got := entries(t, auth.RegisterForm.Validate(&in))
		want := []string{"email:value_error", "username:string_pattern_mismatch", "password:value_error", "full_name:string_too_long"}
		if !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		if in.Email != "not-an-address" {
			t.Fatalf("a failed input was changed: %+v", in)
		}
	})
	t.Run("CreateAccountHasRegistrationsIdentityCheck", func(t *testing.T) {
		t.Parallel()
		in := auth.CreateAccountInput{Email: "ada@example.com", Username: "ada_lovelace", Password: "Ada_Lovelace"}
		if got := entries(t, auth.CreateAccountForm.Validate(&in)); !slices.Equal(got, []string{"password:value_error"}) {
			t.Fatalf("entries %v", got)
		}
	})
	t.Run("OrgNameTrimmed", func(t *testing.T) {
		t.Parallel()
		in := auth.CreateOrganizationInput{Name: "  Acme\t"}
		if err := auth.CreateOrganizationForm.Validate(&in); err != nil || in.Name != "Acme" {
			t.Fatalf("err %v, name %q", err, in.Name)
		}
	})
	t.Run("InviteRoleIsTyped", func(t *testing.T) {
		t.Parallel()
		in := auth.CreateInviteInput{OrgID: "o", Email: "b@example.com", Role: "root"}
		if got := entries(t, auth.CreateInviteForm.Validate(&in)); !slices.Equal(got, []string{"role:enum"}) {
			t.Fatalf("entries %v", got)
		}
		in.Role = auth.RoleAdmin
		if err := auth.CreateInviteForm.Validate(&in); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ProfileAbsentNullAndGiven", func(t *testing.T) {
		t.Parallel()
		// Absent fields are not checked; null clears, except the username.
		if err := auth.ProfileForm.Validate(&auth.ProfileInput{FullName: auth.Field[string]{Set: true}}); err != nil {
			t.Fatal(err)
		}
		got := entries(t, auth.ProfileForm.Validate(&auth.ProfileInput{Username: auth.Field[string]{Set: true}}))
		if !slices.Equal(got, []string{"username:string_type"}) {
			t.Fatalf("entries %v", got)
		}
		tz, deep := "Nowhere", strings.Repeat("[", 21)+strings.Repeat("]", 21)
		var ae *auth.Error
		err := auth.ProfileForm.Validate(&auth.ProfileInput{Timezone: auth.Field[string]{Set: true, Value: &tz},
			Settings: auth.Field[string]{Set: true, Value: &deep}})
		if !errors.As(err, &ae) || len(ae.Fields) != 2 || ae.Fields[0].Field != auth.FieldTimezone ||
			ae.Fields[1].Field != auth.FieldSettings || ae.Fields[1].Input != nil || ae.Fields[0].Input != "Nowhere" {
			t.Fatalf("err %#v", err)
		}
	})
	t.Run("PasswordsNeverEchoed", func(t *testing.T) {
		t.Parallel()
		var ae *auth.Error
		err := auth.ChangePasswordForm.Validate(&auth.ChangePasswordInput{CurrentPassword: strings.Repeat("p", 129), NewPassword: "password1"})
		if !errors.As(err, &ae) || len(ae.Fields) != 2 {
			t.Fatalf("err %v", err)
		}
		for _, f := range ae.Fields {
			if f.Input != auth.Redacted {
				t.Errorf("%s echoes %v", f.Field, f.Input)
			}
		}
	})
	t.Run("NotUnicode", func(t *testing.T) {
		t.Parallel()
		if got := entries(t, auth.RefreshForm.Validate(&auth.RefreshInput{RefreshToken: "t\xff"})); !slices.Equal(got, []string{"refresh_token:string_unicode"}) {
			t.Fatalf("entries %v", got)
		}
	})
	t.Run("SetPasswordPolicy", func(t *testing.T) {
		t.Parallel()
		got := entries(t, auth.SetPasswordForm.Validate(&auth.SetPasswordInput{Identifier: "anything", NewPassword: "short"}))
		if !slices.Equal(got, []string{"new_password:string_too_short"}) {
			t.Fatalf("entries %v", got)
		}
	})
	// The transports' partial check and the service's Validate agree on a full input.
	t.Run("CheckAgreesWithValidate", func(t *testing.T) {
		t.Parallel()
		in := auth.ResetPasswordInput{Token: "t", NewPassword: "password1"}
		err := auth.ResetPasswordForm.Validate(&in)
		partial := auth.ResetPasswordForm.Check(func(f auth.FieldName) (string, bool, bool) {
			switch f {
			case auth.FieldToken:
				return in.Token, true, false
			case auth.FieldNewPassword:
				return in.NewPassword, true, false
			}
			return "", false, false
		}, nil)
		var ae *auth.Error
		if !errors.As(err, &ae) || !reflect.DeepEqual(ae.Fields, partial) {
			t.Fatalf("Validate %v, Check %v", err, partial)
		}
	})
}

// BenchmarkFormValidate: the validation every login, refresh and registration runs.
func BenchmarkFormValidate(b *testing.B) {
	b.Run("Login", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := auth.LoginInput{Username: "ada", Password: "Correct-Horse-9"}
			if err := auth.LoginForm.Validate(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Refresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := auth.RefreshInput{RefreshToken: "3q2-7w_token"}
			if err := auth.RefreshForm.Validate(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Register", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := auth.RegisterInput{Email: "ada@example.com", Username: "ada", Password: "Correct-Horse-9"}
			if err := auth.RegisterForm.Validate(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
