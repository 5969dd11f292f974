// Package fence holds no code: it documents the emulation fence, and its test keeps
// it standing.
//
// authbff answers legacy clients byte for byte as the Python service it replaces
// (FastAPI over pydantic v2, CPython 3.13), so some of its code reproduces another
// language's libraries, their versions, quirks and English. That code is fenced: it
// lives in the packages below, each with a doc.go saying what it emulates, which
// version, where its golden tests are and the small interface the rest of the code
// uses, and it is imported only by its one user:
//
//   - rest/pyjson: CPython 3.13's json.loads errors and positions, json.dumps's
//     output, and the escape rewrite of successful REST answers (RewriteEscapes).
//     Imported by rest only.
//   - graph/auth/emailaddr: pydantic 2.13's EmailStr over email-validator 2.2.0, its
//     normalization and reasons word for word. Imported by graph/auth only (the
//     e-mail field rule).
//
// Upgrading what they emulate means regenerating their golden files and changing
// these packages, nothing else. internal/uescape, which both rest/pyjson and the
// GraphQL transport use to read \uXXXX escapes, is plain JSON and GraphQL, not
// emulation.
package fence
