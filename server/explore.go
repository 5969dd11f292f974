package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/vektah/gqlparser/v2/ast"

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
		doc, err := rest.OpenAPI(schema)
		if err != nil {
			return err
		}
		get("/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			rest.WriteJSON(w, http.StatusOK, doc)
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
