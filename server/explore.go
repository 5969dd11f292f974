package server

import (
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/auth"
	"authbff/rest"
	"authbff/web"
)

// mountExplore registers what a person explores the API with, all embedded and served
// under the pages' own CSP (package web): /playground (GraphiQL), /openapi.json and
// /docs (Swagger UI), the built-in pages of e-mail links, and the /assets/ they load.
// Kept apart from New so that the API's own routes stay readable.
func (o Options) mountExplore(r chi.Router, schema *ast.Schema) error {
	get := func(path string, h http.Handler) { r.Method(http.MethodGet, path, h) }
	if o.Playground {
		get("/playground", web.Page("playground"))
	}
	if o.Docs {
		// The document is generated on its first request, not at start: generating it
		// probes the password rule, which loads the common-password list (0.9 MB of heap,
		// loaded lazily so that a process that has checked no password does not hold it;
		// issue 12). It depends on nothing but the compiled-in schema, operations and
		// rules, so it cannot fail in one process and not in the tests that generate it
		// (rest/openapi_test.go); if it ever did, the error is logged and answered as an
		// internal error.
		doc := sync.OnceValues(func() ([]byte, error) { return rest.OpenAPI(schema) })
		get("/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := doc()
			if err != nil {
				o.Log.ErrorContext(r.Context(), "generating the OpenAPI document", "err", err)
				rest.WriteError(w, &auth.Error{Code: auth.CodeInternal, Message: auth.MsgInternal}, o.Now())
				return
			}
			w.Header().Set("Cache-Control", "no-cache")
			rest.WriteJSON(w, http.StatusOK, b)
		}))
		get("/docs", web.Page("docs"))
	}
	if o.Pages {
		for _, p := range []string{"verify-email", "reset-password", "accept-invite"} {
			get("/"+p, web.Page(p))
		}
	}
	if o.Playground || o.Docs || o.Pages {
		// The bundles travel gzip-compressed as they are stored (web.Assets): about 3.5
		// times smaller (Swagger UI 1.8 MB -> 0.48 MB).
		r.Method(http.MethodGet, web.AssetPrefix+"*", web.Assets())
	}
	return nil
}
