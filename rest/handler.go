package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/rest/pyjson"
)

// adapter runs the persisted operations of the route table.
type adapter struct {
	exec      *executor.Executor
	principal func(context.Context) (*auth.Principal, error)
	report    func(context.Context, error)
	log       *slog.Logger
	now       func() time.Time
	maxBody   int64
}

// handle is the one generic REST handler: bearer first (as FastAPI resolves its auth
// dependency before the body), then the variables from the body or the query string,
// then the operation through the GraphQL executor (or its direct answer, see
// graph.CompileMe), then the answer.
func (a *adapter) handle(rt route, op *operation, direct graph.DirectMe) http.HandlerFunc {
	prefix := "body"
	if rt.source == query {
		prefix = "query"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		// The route reads its own bearer header, as /graphql does (graph.NewHandler).
		ctx := graph.WithBearer(r.Context(), graph.BearerToken(r.Header.Get("Authorization")))
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		graph.InfoFrom(ctx).SetRoute(Prefix + rt.path)
		if rt.auth {
			if _, err := a.principal(ctx); err != nil {
				a.fail(w, r, err, prefix)
				return
			}
		}
		var vars map[string]any
		switch rt.source {
		case body:
			raw, err := readBody(r, a.maxBody)
			if err != nil {
				a.fail(w, r, err, prefix)
				return
			}
			v, entries, err := bodyVariables(op, r.Header.Get("Content-Type"), raw)
			if err != nil {
				a.fail(w, r, err, prefix)
				return
			}
			if entries != nil {
				write422(w, entries)
				return
			}
			vars = v
		case query:
			v, entries := queryVariables(op, r.URL.Query())
			if entries != nil {
				write422(w, entries)
				return
			}
			vars = v
		}
		if direct != nil {
			bp := directBufs.Get().(*[]byte)
			out, ok, err := direct(ctx, (*bp)[:0])
			if err != nil {
				directBufs.Put(bp)
				a.fail(w, r, err, prefix)
				return
			}
			if ok {
				writeJSON(w, http.StatusOK, pyjson.RewriteEscapes(out))
				if cap(out) <= 64<<10 {
					*bp = out[:0] // w copied the answer
				}
				directBufs.Put(bp)
				return
			}
			directBufs.Put(bp)
		}
		resp := graph.Run(ctx, a.exec, &graphql.RawParams{Query: op.text, OperationName: op.name, Variables: vars})
		if len(resp.Errors) > 0 {
			a.fail(w, r, graph.DomainError(resp.Errors[0]), prefix)
			return
		}
		if rt.null {
			writeJSON(w, http.StatusOK, []byte("null"))
			return
		}
		out, ok := unwrapResult(resp.Data)
		if !ok {
			a.fail(w, r, auth.Internal(errors.New("rest: response without result")), prefix)
			return
		}
		writeJSON(w, http.StatusOK, pyjson.RewriteEscapes(out))
	}
}

// directBufs are the buffers of direct answers (a 1 KiB allocation per /me otherwise).
var directBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// fail writes err as the envelope (or a 422): the one place REST maps a domain error.
// Internal and unavailable causes are logged here, once, with the request id (the
// executor REST runs does not log: see graph.NewExecutor).
func (a *adapter) fail(w http.ResponseWriter, r *http.Request, err error, prefix string) {
	ae := graph.DomainError(err)
	if (ae.Code == auth.CodeInternal || ae.Code == auth.CodeServiceUnavailable) && !graph.AlreadyLogged(ae) {
		a.report(r.Context(), ae)
	}
	writeError(w, ae, prefix, a.now())
}

// readBody reads at most limit bytes; a longer body is PAYLOAD_TOO_LARGE, and is never
// read whole.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, &auth.Error{Code: auth.CodeBadRequest, Message: "There was an error reading the body"}
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = &auth.Error{Code: auth.CodePayloadTooLarge, Message: "Request body too large"}

// unwrapResult returns the value of the "result" field from {"result":…}, as is.
func unwrapResult(data []byte) ([]byte, bool) {
	const head = `{"` + resultAlias + `":`
	if !bytes.HasPrefix(data, []byte(head)) || !bytes.HasSuffix(data, []byte("}")) {
		return nil, false
	}
	return data[len(head) : len(data)-1], true
}
