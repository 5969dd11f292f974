package rest

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"authbff/graph/auth"
	"authbff/internal/header"
	"authbff/rest/pyjson"
)

// statusOf maps each error code to its HTTP status (CONTRACT.md §2).
var statusOf = map[auth.Code]int{
	auth.CodeBadRequest:         http.StatusBadRequest,
	auth.CodeInvalidToken:       http.StatusBadRequest,
	auth.CodeInvalidPassword:    http.StatusBadRequest,
	auth.CodeAuthFailed:         http.StatusUnauthorized,
	auth.CodeForbidden:          http.StatusForbidden,
	auth.CodeNotFound:           http.StatusNotFound,
	auth.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	auth.CodeConflict:           http.StatusConflict,
	auth.CodePayloadTooLarge:    http.StatusRequestEntityTooLarge,
	auth.CodeValidation:         http.StatusUnprocessableEntity,
	auth.CodeRateLimited:        http.StatusTooManyRequests,
	auth.CodeInternal:           http.StatusInternalServerError,
	auth.CodeServiceUnavailable: http.StatusServiceUnavailable,
}

// timestampLayout is the envelope's timestamp: UTC, six fraction digits, no zone.
const timestampLayout = "2006-01-02T15:04:05.000000"

// writeError answers with the envelope for e ({error, message, details, timestamp,
// status_code}), or a 422 for a validation error (each entry at [prefix, the field's
// key]), with the headers its status needs.
func writeError(w http.ResponseWriter, e *auth.Error, prefix string, now time.Time) {
	if e.Code == auth.CodeValidation {
		entries := make([]entry, len(e.Fields))
		for i, f := range e.Fields {
			entries[i] = at([]any{prefix, restKey(f.Field)}, f)
		}
		write422(w, entries)
		return
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status, e = http.StatusInternalServerError, &auth.Error{Code: auth.CodeInternal, Message: auth.MsgInternal}
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		ra := max(e.RetryAfter, 1)
		h.Set("Retry-After", strconv.Itoa(ra))
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"error":`...)
	b = pyjson.AppendEncode(b, string(e.Code))
	b = append(b, `,"message":`...)
	b = pyjson.AppendEncode(b, e.Message)
	b = append(b, `,"details":`...)
	b = appendDetails(b, e)
	b = append(b, `,"timestamp":"`...)
	b = now.UTC().AppendFormat(b, timestampLayout)
	b = append(b, `","status_code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, '}')
	writeJSON(w, status, b)
}

// appendDetails writes the details object with its keys sorted.
func appendDetails(b []byte, e *auth.Error) []byte {
	d := e.DetailsMap()
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	obj := &pyjson.Object{Keys: keys, Values: d}
	return pyjson.AppendEncode(b, obj)
}

// write422 answers {"detail": [...]} with keys in FastAPI's order: type, loc, msg, input, ctx.
func write422(w http.ResponseWriter, entries []entry) {
	b := make([]byte, 0, 256)
	b = append(b, `{"detail":[`...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = pyjson.AppendEncode(b, e.typ)
		b = append(b, `,"loc":`...)
		b = pyjson.AppendEncode(b, e.loc)
		b = append(b, `,"msg":`...)
		b = pyjson.AppendEncode(b, e.msg)
		b = append(b, `,"input":`...)
		b = pyjson.AppendEncode(b, e.input)
		if e.ctx != nil {
			b = append(b, `,"ctx":`...)
			b = pyjson.AppendEncode(b, e.ctx)
		}
		b = append(b, '}')
	}
	b = append(b, `]}`...)
	writeJSON(w, http.StatusUnprocessableEntity, b)
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	// As Set, without canonicalizing the keys and with a shared Content-Type slice
	// (package header says why sharing is safe).
	h["Content-Type"] = header.JSON
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError writes e as the REST error envelope: the HTTP server answers its own
// refusals (404, 405, a panic, a timeout) in the shape every /v1/auth client knows.
func WriteError(w http.ResponseWriter, e *auth.Error, now time.Time) { writeError(w, e, "", now) }

// WriteJSON writes b, a JSON document, with its status and length.
func WriteJSON(w http.ResponseWriter, status int, b []byte) { writeJSON(w, status, b) }
