package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"authbff/graph/auth"
	"authbff/internal/header"
)

// postTransport is gqlgen's POST transport without its one flaw for an auth service:
// gqlgen echoes an undecodable body in the error, and a body may hold a password. It
// also caps the body and refuses anything but application/json.
type postTransport struct {
	maxBody int64
	direct  *directGraphQL // nil: every operation through the executor
}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	w.Header()["Content-Type"] = header.JSON // Set, without its key canonicalization and allocation
	start := graphql.Now()
	var params graphql.RawParams
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if err == nil {
		if q, ok := plainQueryBody(body); ok {
			params.Query = q
		} else {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			err = dec.Decode(&params)
		}
	}
	if err != nil {
		status, msg := http.StatusBadRequest, "The request body is not a valid GraphQL request (a JSON object with a query)."
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status, msg = http.StatusRequestEntityTooLarge, "The request body is too large."
		}
		w.WriteHeader(status)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: msg,
			Extensions: map[string]any{"code": codeForStatus(status)}}}})
		return
	}
	if gerr, bad := unicodeRefusal(body, []any{"variables"}, params.Variables); gerr != nil {
		if bad {
			w.WriteHeader(http.StatusBadRequest)
		}
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{gerr}})
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), capErrors(opErr))
		writeResponse(w, resp)
		return
	}
	if t.direct.serve(ctx, w, rc) {
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// plainQueryBody reads the commonest body, {"query":"…"} and nothing else, whose string
// has no escape, no control character and no quote, and is valid UTF-8: the query is
// that string, exactly what json.Decoder would decode into RawParams (issue 12: the
// decoder's reflection was ~1.5 µs of a GraphQL me). Any other body returns false and
// goes through the decoder (TestPlainQueryBodyMatchesDecoder).
func plainQueryBody(body []byte) (string, bool) {
	const head, tail = `{"query":"`, `"}`
	if len(body) < len(head)+len(tail) || string(body[:len(head)]) != head || string(body[len(body)-len(tail):]) != tail {
		return "", false
	}
	q := body[len(head) : len(body)-len(tail)]
	for _, c := range q {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(q) {
		return "", false
	}
	return string(q), true
}

// maxDocumentErrors is how many errors about a document an answer lists (graphql-js
// stops at 100 too): a document with thousands of unknown fields would otherwise cost
// more to present and send than to validate.
const maxDocumentErrors = 100

func capErrors(list gqlerror.List) gqlerror.List {
	if len(list) <= maxDocumentErrors {
		return list
	}
	more := gqlerror.Errorf("Too many errors: %d in all; the first %d are shown", len(list), maxDocumentErrors)
	more.Extensions = map[string]any{"code": list[0].Extensions["code"]}
	return append(list[:maxDocumentErrors:maxDocumentErrors], more)
}

func codeForStatus(status int) string {
	if status == http.StatusRequestEntityTooLarge {
		return string(auth.CodePayloadTooLarge)
	}
	return string(auth.CodeBadRequest)
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"` + auth.MsgInternal + `","extensions":{"code":"` + string(auth.CodeInternal) + `"}}],"data":null}`)
	}
	_, _ = w.Write(b)
}

// getTransport serves queries over GET (?query=&operationName=&variables=), never
// mutations, with every error carrying a code.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}})
	}
	q := r.URL.Query()
	for _, k := range []string{"query", "operationName"} {
		if !utf8.ValidString(q.Get(k)) {
			fail(http.StatusBadRequest, string(auth.CodeBadRequest), "The request is not valid UTF-8 text.")
			return
		}
	}
	params := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	if v := q.Get("variables"); v != "" {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&params.Variables); err != nil {
			fail(http.StatusBadRequest, string(auth.CodeBadRequest), "The variables parameter is not a JSON object.")
			return
		}
		if gerr, bad := unicodeRefusal([]byte(v), nil, params.Variables); gerr != nil {
			if bad {
				w.WriteHeader(http.StatusBadRequest)
			}
			writeResponse(w, &graphql.Response{Errors: gqlerror.List{gerr}})
			return
		}
	}
	params.ReadTime.End = graphql.Now()
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), capErrors(opErr)))
		return
	}
	if rc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		fail(http.StatusMethodNotAllowed, string(auth.CodeMethodNotAllowed), "Mutations must be sent with POST.")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// refuseTransport answers whatever no other transport takes (form and multipart bodies,
// other content types) with 415 and a coded JSON error, instead of gqlgen's plain-text
// fallback; nothing is executed and the body is not read.
type refuseTransport struct{}

var _ graphql.Transport = refuseTransport{}

func (refuseTransport) Supports(*http.Request) bool { return true }

func (refuseTransport) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Accept-Post", "application/json")
	w.WriteHeader(http.StatusUnsupportedMediaType)
	writeResponse(w, &graphql.Response{Errors: gqlerror.List{{
		Message:    "GraphQL requests are POSTed as application/json (or sent with GET for queries).",
		Extensions: map[string]any{"code": string(auth.CodeBadRequest)},
	}}})
}
