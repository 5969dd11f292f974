package rest

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/web"
)

// mountExplore registers what a person explores the API with, all embedded and served
// under the pages' own CSP (package web): /playground (GraphiQL), /openapi.json and
// /docs (Swagger UI), the built-in pages of e-mail links, and the /assets/ they load.
// Kept apart from NewRouter so that the API's own routes stay readable.
func (o Options) mountExplore(r chi.Router, allowed map[string][]string, schema *ast.Schema, ops []*operation) error {
	get := func(path string, h http.Handler) {
		r.Method(http.MethodGet, path, h)
		allowed[path] = []string{http.MethodGet}
	}
	if o.Playground {
		get("/playground", web.Page("playground"))
	}
	if o.Docs {
		doc, err := openAPI(schema, ops)
		if err != nil {
			return err
		}
		get("/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			writeJSON(w, http.StatusOK, doc)
		}))
		get("/docs", web.Page("docs"))
	}
	if o.Pages {
		for _, p := range []string{"verify-email", "reset-password", "accept-invite"} {
			get("/"+p, web.Page(p))
		}
	}
	if o.Playground || o.Docs || o.Pages {
		// gzip: the bundles shrink about 3.5 times (Swagger UI 1.8 MB -> 0.48 MB).
		r.Method(http.MethodGet, web.AssetPrefix+"*", middleware.Compress(5, "text/javascript", "text/css")(web.Assets()))
	}
	return nil
}
