// Package emailaddr is the pydantic/email-validator emulation of the domain: it
// validates and normalizes e-mail addresses exactly as the Python service this one
// replaces did, so that stored addresses and the 422 error texts that legacy clients
// match on stay the same (CONTRACT.md §3, "E-mail reasons"). It is part of the
// emulation fence (see internal/fence): the price of byte-exact legacy answers, kept
// behind one function so that nothing else depends on its details.
//
// # What it emulates, and which version
//
// The Python service declared its email fields as pydantic v2 EmailStr.
// That runs pydantic.networks.validate_email, which
//
//   - refuses values longer than 2048 code points ("Length must not exceed
//     2048 characters"),
//   - takes the address out of a "Display Name <addr@example.com>" value
//     when its "pretty email" regular expression matches the whole value,
//   - strips surrounding whitespace, and
//   - calls email-validator's validate_email(email, check_deliverability=False)
//     and keeps its normalized form.
//
// This package follows pydantic 2.13 (whose pretty-email pattern is
// \s*(?:NAME|"QUOTED")?\s*<(.+)>\s*) and email-validator 2.2.0 with every
// other option at its default (allow_smtputf8=True, allow_empty_local=False,
// allow_quoted_local=False, allow_domain_literal=False,
// allow_display_name=False, globally_deliverable=True,
// test_environment=False). Every check of email-validator is ported in its
// order, so the first failing check gives the reason, word for word, and
// lengths are counted in code points or UTF-8 octets where the Python code
// counts them so.
//
// email-validator relies on the idna package (IDNA 2008 with UTS #46
// mapping) for internationalized domains. Here the UTS #46 mapping comes
// from golang.org/x/net/idna; the IDNA 2008 label rules (code point
// classes, CONTEXTJ/CONTEXTO, Bidi, hyphens, NFC, Punycode) are ported from
// idna's core.py, over tables that gen_tables.go derives from the Go
// toolchain's Unicode data. The texts of the idna and ipaddress (CPython
// 3.11) exceptions that email-validator embeds in its messages are
// reproduced, Python repr() quoting included. Differences that remain:
//
//   - Unicode versions. Go 1.26's tables are Unicode 15.0; Python's
//     unicodedata and the idna package each bring their own. A code point
//     assigned after 15.0 counts as unassigned here (refused as an unsafe
//     character), where a newer Python may accept it or word the error
//     differently (for example idna's "Unknown directionality" texts).
//   - The UTS #46 table is the one of idna releases before 3.11 (Unicode
//     15.x). idna 3.11 and later follow Unicode 16, which accepts (maps or
//     ignores) 53 code points refused here (U+04C0, the Georgian capitals
//     U+10A0..U+10C5, the Hangul fillers, U+17B4, U+17B5, U+1806, U+2132,
//     U+2183, five CJK compatibility ideographs) and maps U+1E9E to "ß"
//     instead of "ss".
//   - The ContextJ rule for ZERO WIDTH NON-JOINER that needs Arabic joining
//     types is decided by golang.org/x/net/idna for the whole label, so when
//     such a label fails, the position named in the message can differ.
//     (Only reachable through a Punycode xn-- label, since the joiners are
//     refused as unsafe characters when typed directly.)
//   - Python strings can hold lone surrogates, Go strings cannot: invalid
//     UTF-8 in the input is read as U+FFFD per byte, as encoding/json does.
//   - Some earlier pydantic 2.x releases used <\s*(.+)\s*> in the
//     pretty-email pattern; they differ from this package only for a newline
//     right inside the angle brackets.
//
// # Golden tests
//
// TestValidate is the golden table: each row is an input and what pydantic 2.13's
// validate_email (over email-validator 2.2.0 and idna 3.x) returns for it, the
// normalized address or the reason word for word, including every reason CONTRACT.md
// §3 names. TestValidateInvalidUTF8, TestPyRepr (Python's repr() quoting in reasons)
// and TestPunycodeRoundTrip pin the parts Python does differently from Go;
// TestTablesUnicodeVersion fails when the toolchain's Unicode data no longer matches
// tables.go; FuzzValidate checks that a normalized address validates to itself.
//
// # The interface the rest of the code uses
//
// Validate(s) → (normalized address, reason, ok) and MaxLength. Only graph/auth
// imports this package (internal/fence checks it), in one place: the e-mail field rule
// of graph/auth/validate.go, which stores the normalized address and reports
// "value is not a valid email address: " + reason (ctx {"reason": reason}).
// Everything else of the service sees a validated, normalized string.
package emailaddr
