package emailaddr

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The expected values below are what pydantic 2.13's validate_email (over
// email-validator 2.2.0 and idna 3.x) returns for the same input: the
// normalized address, or the reason after "value is not a valid email
// address: ".
func TestValidate(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{"ok/plain", "user@example.com", "user@example.com", ""},
		{"ok/example_org_is_not_special_use", "user@example.org", "user@example.org", ""},
		{"ok/trims_whitespace_lowercases_domain_keeps_local_case", "  User@EXAMPLE.com ", "User@example.com", ""},
		{"ok/display_name_form", "John Doe <john@example.com>", "john@example.com", ""},
		{"ok/quoted_display_name_form", "\"Doe, John\" <john@example.com>", "john@example.com", ""},
		{"ok/angle_brackets_only", "<john@example.com>", "john@example.com", ""},
		{"ok/punycode_domain_becomes_unicode", "user@xn--bcher-kva.de", "user@b\u00fccher.de", ""},
		{"ok/uppercase_punycode_domain", "user@XN--BCHER-KVA.DE", "user@b\u00fccher.de", ""},
		{"ok/unicode_domain_lowercased_and_nfc", "user@BU\u0308CHER.de", "user@b\u00fccher.de", ""},
		{"ok/fullwidth_domain_mapped", "user@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com", "user@example.com", ""},
		{"ok/ideographic_full_stop_in_domain", "user@example\u3002com", "user@example.com", ""},
		{"ok/internationalized_local_part", "\u00f1o\u00f1\u00f3@example.com", "\u00f1o\u00f1\u00f3@example.com", ""},
		{"ok/local_part_nfc_normalized", "n\u0303o@example.com", "\u00f1o@example.com", ""},
		{"ok/cjk_address", "\u8449\u58eb\u8c6a@\u81fa\u7db2\u4e2d\u5fc3.tw", "\u8449\u58eb\u8c6a@\u81fa\u7db2\u4e2d\u5fc3.tw", ""},
		{"ok/greek_final_sigma_domain_kept", "user@\u03c2.gr", "user@\u03c2.gr", ""},
		{"ok/sharp_s_domain_kept", "user@stra\u00dfe.de", "user@stra\u00dfe.de", ""},
		{"ok/atext_specials", "!#$%&'*+-/=?^_`.{|}~@example.com", "!#$%&'*+-/=?^_`.{|}~@example.com", ""},
		{"ok/plus_tag", "user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk", ""},
		{"ok/rfc2142_mailbox_lowercased", "PostMaster@Example.com", "postmaster@example.com", ""},
		{"ok/other_mailbox_keeps_case", "Post.Master@example.com", "Post.Master@example.com", ""},
		{"ok/local_part_64_chars", strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com", ""},
		{"ok/label_63_chars", "a@" + strings.Repeat("b", 63) + ".com", "a@" + strings.Repeat("b", 63) + ".com", ""},
		{"err/address_too_long_with_253_char_domain", "a@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 60) + ".com", "", "The email address is too long (1 character too many)."},
		{"ok/address_254_octets", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 59) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 59) + ".com", ""},
		{"err/quoted_local_part_even_if_unnecessary", "\"john\"@example.com", "", "Quoting the part before the @-sign is not allowed here."},
		{"ok/hyphen_inside_label", "a@ex-ample.com", "a@ex-ample.com", ""},
		{"ok/digits_tld_label_before_letter_tld", "a@123.example.com", "a@123.example.com", ""},
		{"ok/trailing_whitespace_after_brackets", "  Jane <jane@example.com>  \n", "jane@example.com", ""},
		{"err/pydantic_length_limit", "a@" + strings.Repeat("b", 2046) + "x", "", "Length must not exceed 2048 characters"},
		{"err/empty", "", "", "An email address must have an @-sign."},
		{"err/whitespace_only", "   ", "", "An email address must have an @-sign."},
		{"err/no_at_sign", "user.example.com", "", "An email address must have an @-sign."},
		{"err/fullwidth_at_sign_is_not_at", "user\uff20example.com", "", "An email address must have an @-sign."},
		{"err/at_inside_quotes_only", "\"user@example.com\"", "", "An email address must have an @-sign."},
		{"err/nothing_before_at", "@example.com", "", "There must be something before the @-sign."},
		{"err/nothing_after_at", "user@", "", "There must be something after the @-sign."},
		{"err/extra_chars_after_close_quote", "\"abc\"def@example.com", "", "Extra character(s) found after close quote: 'd', 'e', 'f'"},
		{"err/display_name_with_period", "John.Doe <john@example.com>", "", "The display name contains invalid characters when not quoted: '.'."},
		{"err/display_name_unsafe_after_regex_miss", "(comment) <john@example.com>", "", "The display name contains invalid characters when not quoted: '(', ')'."},
		{"err/unclosed_angle_bracket", "John <john@example.com", "", "An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end."},
		{"err/text_after_angle_brackets", "John Doe <john@example.com> extra", "", "There can't be anything after the email address."},
		{"err/display_name_not_permitted", "\"\" <john@example.com>", "", "A display name and angle brackets around the email address are not permitted here."},
		{"err/nested_angle_brackets", "<<john@example.com>>", "", "A display name and angle brackets around the email address are not permitted here."},
		{"err/combining_char_after_lt", "<\u0338john@example.com", "", "The email address contains invalid characters before the @-sign: '<'."},
		{"err/space_in_local_part", "john doe@example.com", "", "The email address contains invalid characters before the @-sign: SPACE."},
		{"err/invalid_chars_sorted_and_deduplicated", "a,b;c,d(e)@example.com", "", "The email address contains invalid characters before the @-sign: '(', ')', ',', ';'."},
		{"err/control_char_in_local_part_shown_as_hex", "a\x00b@example.com", "", "The email address contains invalid characters before the @-sign: U+0000."},
		{"err/newline_in_local_part", "a\nb@example.com", "", "The email address contains invalid characters before the @-sign: U+000A."},
		{"err/double_quote_in_local_part", "ab\"c\"@example.com", "", "The email address contains invalid characters before the @-sign: '\"'."},
		{"err/backslash_in_local_part", "a\\b@example.com", "", "The email address contains invalid characters before the @-sign: \"\\\"."},
		{"err/leading_period", ".john@example.com", "", "An email address cannot start with a period."},
		{"err/trailing_period_before_at", "john.@example.com", "", "An email address cannot have a period immediately before the @-sign."},
		{"err/two_periods", "john..doe@example.com", "", "An email address cannot have two periods in a row."},
		{"err/local_part_65_chars", strings.Repeat("a", 65) + "@example.com", "", "The email address is too long before the @-sign (1 character too many)."},
		{"err/local_part_66_chars", strings.Repeat("a", 66) + "@example.com", "", "The email address is too long before the @-sign (2 characters too many)."},
		{"err/local_part_too_long_after_nfc", "\ufb2c" + strings.Repeat("a", 63) + "@example.com", "", "After Unicode normalization: The email address is too long before the @-sign (2 characters too many)."},
		{"err/semicolon_after_nfc", "me.\u037e@example.com", "", "After Unicode normalization: The email address contains invalid characters before the @-sign: ';'."},
		{"err/unsafe_zero_width_space", "ab\u200bc@example.com", "", "The email address contains unsafe characters: ZERO WIDTH SPACE."},
		{"err/unsafe_chars_sorted", "a\u202e\u202db\u2028@example.com", "", "The email address contains unsafe characters: LINE SEPARATOR, LEFT-TO-RIGHT OVERRIDE, RIGHT-TO-LEFT OVERRIDE."},
		{"err/unsafe_combining_mark_first", "\u0301a@example.com", "", "The email address contains unsafe characters: COMBINING ACUTE ACCENT."},
		{"err/unsafe_private_use", "a\ue000@example.com", "", "The email address contains unsafe characters: U+E000."},
		{"err/unsafe_nbsp", "a\u00a0b@example.com", "", "The email address contains unsafe characters: NO-BREAK SPACE."},
		{"err/quoted_local_part_not_allowed", "\"john doe\"@example.com", "", "Quoting the part before the @-sign is not allowed here."},
		{"err/quoted_local_part_with_control", "\"a\x01b\"@example.com", "", "The email address contains invalid characters in quotes before the @-sign: U+0001."},
		{"err/space_in_domain", "john@exa mple.com", "", "The part after the @-sign contains invalid characters: SPACE."},
		{"err/underscore_in_domain", "john@exa_mple.com", "", "The part after the @-sign contains invalid characters: '_'."},
		{"err/invalid_domain_chars_sorted", "john@a!b#c,d.com", "", "The part after the @-sign contains invalid characters: '!', '#', ','."},
		{"err/domain_newline_shown_as_hex", "john@example\n.com", "", "The part after the @-sign contains invalid characters: U+000A."},
		{"err/unsafe_char_in_domain", "john@exa\u200bmple.com", "", "The email address contains unsafe characters: ZERO WIDTH SPACE."},
		{"err/combining_mark_starts_domain", "john@\u0301example.com", "", "The email address contains unsafe characters: COMBINING ACUTE ACCENT."},
		{"err/idna_disallowed_codepoint", "me@\u2488wouldbeinvalid.com", "", "The part after the @-sign contains invalid characters (Codepoint U+2488 not allowed at position 1 in '\u2488wouldbeinvalid.com')."},
		{"err/invalid_char_after_normalization", "me@\u037e.com", "", "The part after the @-sign contains invalid characters after Unicode normalization: ';'."},
		{"err/space_after_normalization", "me@\u00a8x.com", "", "The part after the @-sign contains invalid characters after Unicode normalization: SPACE."},
		{"err/domain_without_period", "john@localhost", "", "The part after the @-sign is not valid. It should have a period."},
		{"err/domain_without_period_plain", "john@example", "", "The part after the @-sign is not valid. It should have a period."},
		{"err/domain_leading_period", "john@.example.com", "", "An email address cannot have a period immediately after the @-sign."},
		{"err/domain_leading_fullwidth_period", "john@\uff0eexample.com", "", "An email address cannot have a period immediately after the @-sign."},
		{"err/domain_trailing_period", "john@example.com.", "", "An email address cannot end with a period."},
		{"err/domain_two_periods", "john@example..com", "", "An email address cannot have two periods in a row."},
		{"err/domain_leading_hyphen", "john@-example.com", "", "An email address cannot have a hyphen immediately after the @-sign."},
		{"err/domain_trailing_hyphen", "john@example.com-", "", "An email address cannot end with a hyphen."},
		{"err/period_and_hyphen", "john@example-.com", "", "An email address cannot have a period and a hyphen next to each other."},
		{"err/hyphen_after_period", "john@sub.-example.com", "", "An email address cannot have a period and a hyphen next to each other."},
		{"err/reserved_ldh_label", "john@ab--cd.com", "", "An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode."},
		{"err/tld_not_letter", "john@example.c0m1", "", "The part after the @-sign is not valid. It is not within a valid top-level domain."},
		{"err/numeric_tld", "john@1.2.3.4", "", "The part after the @-sign is not valid. It is not within a valid top-level domain."},
		{"err/special_use_localhost_subdomain", "john@mail.localhost", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/special_use_test", "john@example.test", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/special_use_invalid", "john@x.invalid", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/special_use_local", "john@printer.local", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/special_use_onion", "john@abc.onion", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/special_use_arpa", "john@in-addr.arpa", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"err/label_64_chars", "a@" + strings.Repeat("b", 64) + ".com", "", "After the @-sign, periods cannot be separated by so many characters (1 character too many)."},
		{"err/label_65_chars", "a@" + strings.Repeat("b", 65) + ".com", "", "After the @-sign, periods cannot be separated by so many characters (2 characters too many)."},
		{"err/domain_254_chars", "a@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 62) + ".com", "", "The email address is too long after the @-sign (2 characters too many)."},
		{"err/domain_255_chars_uppercase_counts_as_bytes", "a@" + strings.Repeat("B", 62) + "." + strings.Repeat("B", 62) + "." + strings.Repeat("B", 62) + "." + strings.Repeat("C", 63) + ".com", "", "The email address is too long after the @-sign (3 bytes too many after IDNA encoding)."},
		{"err/idna_domain_too_long", "me@\u4e2d" + strings.Repeat("1", 60) + "." + strings.Repeat("1", 60) + "." + strings.Repeat("1", 60) + "." + strings.Repeat("1", 60) + ".1111111111.com", "", "The part after the @-sign is invalid (Label too long)."},
		{"err/idna_label_too_long", "me@\u4e2d" + strings.Repeat("b", 59) + ".com", "", "The part after the @-sign is invalid (Label too long)."},
		{"err/address_255_octets", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 60) + ".com", "", "The email address is too long (1 character too many)."},
		{"err/address_256_octets", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 61) + ".com", "", "The email address is too long (2 characters too many)."},
		{"err/address_too_long_multibyte_range", strings.Repeat("\u00e9", 50) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("b", 62) + "." + strings.Repeat("c", 25) + ".com", "", "The email address is too long (1-2 characters too many)."},
		{"err/too_long_after_normalization", "my.\ufb2c.address@1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.11111111112222222222333333333344.info", "", "The email address is too long after normalization (1 byte too many)."},
		{"err/too_long_with_idna_ascii_domain", "my.long.address@\u03bb111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.1111111111222222222233333333334444444444555555555.6666666666777777777788888888889999999999000000000.11111111112222222222333333.info", "", "The email address is too long when the part after the @-sign is converted to IDNA ASCII (1 byte too many)."},
		{"err/idna_symbol_not_allowed", "john@\u2603.com", "", "The part after the @-sign is invalid (Codepoint U+2603 at position 1 of '\u2603' not allowed)."},
		{"err/idna_label_starts_with_combining_mark", "john@a.\u0301b.com", "", "The part after the @-sign is invalid (Label begins with an illegal combining character)."},
		{"err/idna_invalid_a_label", "john@xn--0.com", "", "The part after the @-sign is not valid IDNA (Invalid A-label)."},
		{"err/idna_a_label_decodes_to_disallowed", "john@xn--n3h.com", "", "The part after the @-sign is not valid IDNA (Codepoint U+2603 at position 1 of '\u2603' not allowed)."},
		{"err/idna_a_label_with_uppercase_decoding", "john@xn--a-0.com", "", "The part after the @-sign is not valid IDNA (Invalid A-label)."},
		{"err/idna_contexto_middle_dot", "john@a\u00b7b.com", "", "The part after the @-sign is invalid (Codepoint U+00B7 not allowed at position 2 in 'a\u00b7b')."},
		{"ok/idna_contexto_middle_dot_between_l", "john@l\u00b7l.com", "john@l\u00b7l.com", ""},
		{"err/idna_bidi_mixed_directions", "john@a\u05d0.com", "", "The part after the @-sign is invalid (Invalid direction for codepoint at position 2 in a left-to-right label)."},
		{"err/idna_bidi_first_char", "john@1\u05d0.com", "", "The part after the @-sign is invalid (First codepoint in label '1\u05d0' must be directionality L, R or AL)."},
		{"err/idna_contexto_mixed_arabic_digits", "john@\u0627\u0661\u06f1.com", "", "The part after the @-sign is invalid (Codepoint U+0661 not allowed at position 2 in '\u0627\u0661\u06f1')."},
		{"err/idna_bidi_mixed_numerals", "john@\u05d01\u0661.com", "", "The part after the @-sign is invalid (Can not mix numeral types in a right-to-left label)."},
		{"err/idna_bidi_bad_ending", "john@\u05d0\u02b9.com", "", "The part after the @-sign is invalid (Label ends with illegal codepoint directionality)."},
		{"err/idna_bidi_rtl_with_latin", "john@\u05d0a.com", "", "The part after the @-sign is invalid (Invalid direction for codepoint at position 2 in a right-to-left label)."},
		{"ok/hebrew_domain", "john@\u05d0\u05d1.com", "john@\u05d0\u05d1.com", ""},
		{"err/idna_joiner_in_a_label", "john@xn--1ug.com", "", "The part after the @-sign is not valid IDNA (Unknown codepoint adjacent to joiner U+200D at position 1 in '\\u200d')."},
		{"err/idna_hyphens_3_4_in_a_label", "john@xn--ab--c-fsa.com", "", "The part after the @-sign is not valid IDNA (Label has disallowed hyphens in 3rd and 4th position)."},
		{"err/ipv4_literal_not_allowed", "john@[127.0.0.1]", "", "A bracketed IP address after the @-sign is not allowed here."},
		{"err/ipv6_literal_not_allowed", "john@[IPv6:::1]", "", "A bracketed IP address after the @-sign is not allowed here."},
		{"err/ipv4_literal_octet_too_big", "john@[127.0.0.999]", "", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Octet 999 (> 255) not permitted in '127.0.0.999') or is missing an address literal tag."},
		{"err/ipv4_literal_three_octets", "john@[1.2.3]", "", "The address in brackets after the @-sign is not valid: It is not an IPv4 address (Expected 4 octets in '1.2.3') or is missing an address literal tag."},
		{"err/ipv6_literal_bad_hex", "john@[IPv6:::G]", "", "The IPv6 address in brackets after the @-sign is not valid (Only hex digits permitted in 'G' in '::G')."},
		{"err/ipv6_literal_two_double_colons", "john@[IPv6:1::2::3]", "", "The IPv6 address in brackets after the @-sign is not valid (At most one '::' permitted in '1::2::3')."},
		{"err/literal_without_tag", "john@[untaggedtext]", "", "The part after the @-sign in brackets is not an IPv4 address and has no address literal tag."},
		{"err/literal_unknown_tag", "john@[tag:text]", "", "The part after the @-sign contains an invalid address literal tag in brackets."},
		{"err/literal_invalid_chars", "john@[tag:invalid space]", "", "The part after the @-sign contains invalid characters in brackets: SPACE."},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate test name %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			got, reason, ok := Validate(tt.in)
			if tt.reason == "" {
				if !ok || got != tt.want || reason != "" {
					t.Fatalf("Validate(%q) = %q, %q, %v; want %q, ok", tt.in, got, reason, ok, tt.want)
				}
				return
			}
			if ok || reason != tt.reason || got != "" {
				t.Fatalf("Validate(%q) = %q, %q, %v;\nwant reason %q", tt.in, got, reason, ok, tt.reason)
			}
		})
	}
}

// TestValidateInvalidUTF8 checks that bytes that are not UTF-8 count as
// U+FFFD, as they would after encoding/json decoded the request.
func TestValidateInvalidUTF8(t *testing.T) {
	got, reason, ok := Validate("a\xffb@example.com")
	if !ok || got != "a\ufffdb@example.com" {
		t.Fatalf("Validate = %q, %q, %v", got, reason, ok)
	}
	_, reason, ok = Validate("a@ex\xffample.com")
	want := "The part after the @-sign contains invalid characters (Codepoint U+FFFD not allowed at position 3 in 'ex\ufffdample.com')."
	if ok || reason != want {
		t.Fatalf("Validate = %q, %v; want %q", reason, ok, want)
	}
}

// TestTablesUnicodeVersion fails when the Go toolchain's Unicode version no
// longer matches tables.go: run "go run gen_tables.go" in this directory.
func TestTablesUnicodeVersion(t *testing.T) {
	if tablesUnicodeVersion != unicode.Version {
		t.Fatalf("tables.go is for Unicode %s, the toolchain has %s: regenerate it with go run gen_tables.go", tablesUnicodeVersion, unicode.Version)
	}
}

func TestPunycodeRoundTrip(t *testing.T) {
	for _, s := range []string{"bücher", "中文", "ab--cé", "ελληνικά", "a\U0001F600b"} {
		enc := punycodeEncode([]rune(s))
		dec, ok := punycodeDecode(enc)
		if !ok || string(dec) != s {
			t.Errorf("punycode %q -> %q -> %q, %v", s, enc, string(dec), ok)
		}
	}
	if got := punycodeEncode([]rune("bücher")); got != "bcher-kva" {
		t.Errorf("punycodeEncode(bücher) = %q", got)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"abc":          `'abc'`,
		"a'b":          `"a'b"`,
		"a'b\"c":       `'a\'b"c'`,
		"a\\b":         `'a\\b'`,
		"\n\t\x01é":    `'\n\t\x01é'`,
		"\u200d\u00a0": `'\u200d\xa0'`,
	} {
		if got := pyReprString(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		"user@example.com", "  User@EXAMPLE.com ", "John Doe <john@example.com>",
		"user@xn--bcher-kva.de", "ñoñó@exämple.com", `"quoted"@example.com`,
		"a@[IPv6:::1]", "x@\u05d0\u05d1.com", "a@b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, reason, ok := Validate(s)
		if !ok {
			if reason == "" || got != "" {
				t.Fatalf("Validate(%q) = %q, %q, false", s, got, reason)
			}
			return
		}
		if reason != "" || !utf8.ValidString(got) {
			t.Fatalf("Validate(%q) = %q, %q, true", s, got, reason)
		}
		again, reason2, ok2 := Validate(got)
		if !ok2 || again != got {
			t.Fatalf("Validate(%q) = %q, but Validate(%q) = %q, %q, %v", s, got, got, again, reason2, ok2)
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"ascii_normalized", "jane.doe+news@example.com"},
		{"ascii_uppercase_domain", "  Jane.Doe@Example.COM "},
		{"display_name", "Jane Doe <jane.doe@example.com>"},
		{"invalid_no_at", "jane.doe.example.com"},
		{"invalid_space", "jane doe@example.com"},
		{"unicode_domain", "jane@bücher.de"},
		{"punycode_domain", "jane@xn--bcher-kva.de"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Validate(bm.in)
			}
		})
	}
}
