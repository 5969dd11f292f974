// Package pyjson is the CPython emulation of the REST adapter: it decodes and encodes
// JSON byte for byte the way the Python FastAPI service that this module replaces did.
// It is part of the emulation fence (see internal/fence): the price of byte-exact legacy
// answers, kept behind a small interface so that nothing else depends on its details.
//
// # What it emulates, and which version
//
// Legacy clients depend on the exact bytes of FastAPI's answers (CONTRACT.md §1 and §3).
// For a body that is not valid JSON, FastAPI reports the message and the position of
// the json.JSONDecodeError raised by CPython's json.loads; for a field of the wrong
// type it echoes the decoded value, serialized by json.dumps(value,
// ensure_ascii=False, separators=(",", ":")), and its JSONResponse writes answers the
// same way. Go's encoding/json accepts a different language (no NaN or Infinity,
// different handling of bad UTF-8), reports different errors and formats floats and
// escapes differently, so this package reimplements both directions:
//
//   - Decode accepts exactly what CPython 3.13's json.loads(body_bytes) accepts (the
//     C-accelerated scanner, default arguments) and reports Python's error message
//     (SyntaxError.Msg, e.msg in Python) and position (SyntaxError.Pos, e.pos: an
//     index in code points of the decoded text). 3.13 differs from 3.11 only in
//     reporting a trailing comma ("Illegal trailing comma before end of object" /
//     "... of array" at the comma's index).
//   - Encode and AppendEncode write values as json.dumps does (Python's float repr,
//     its string escaping, compact separators).
//   - RewriteEscapes turns the string escapes of the GraphQL executor's JSON into
//     json.dumps's (\b and \f by name, lowercase hex): the escape rewrite every
//     successful REST answer goes through.
//
// Known, deliberate differences from Python are documented on Decode and Encode (lone
// surrogates, UTF-16/32 input, nesting depth, non-finite floats).
//
// # Golden tests
//
// The behaviour is pinned by answers of the real interpreter: testdata/golden.json
// (decode errors and positions, and the re-encoding of what decodes) and
// testdata/floats.json (float repr), both written by testdata/gen.py from CPython
// 3.11, run by TestGolden and TestFloats; the 3.13 trailing-comma answers by
// TestTrailingCommaPy313; lone surrogates by TestLoneSurrogates; string escapes by
// TestEncodeTypes and TestRewriteEscapesGolden; FuzzDecode checks Decode's
// invariants.
//
// # The interface the rest of the code uses
//
// Only the REST adapter imports this package (internal/fence checks it): rest/body.go
// decodes request bodies (Decode; *SyntaxError, ErrInvalidUTF8, ErrTooDeep,
// ErrIntTooLong; the decoded values *Object, Number, string, []any, bool, nil) and
// re-encodes object fields (Encode); rest/envelope.go writes the error envelope and
// the 422 entries (AppendEncode); rest/handler.go writes successful answers
// (RewriteEscapes). A decoded string that holds a lone surrogate is not valid UTF-8:
// that, and nothing else about its bytes, is what callers may rely on (they refuse it
// with a string_unicode entry). The domain (graph/auth) and the GraphQL transport never
// see this package.
package pyjson
