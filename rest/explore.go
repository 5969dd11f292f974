package rest

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"authbff/web"
)

// mountExplore registers what a person explores the API with, all embedded and served
// under the pages' own CSP (package web): /playground (GraphiQL), and the /assets/ they
// load. Kept apart from NewRouter so that the API's own routes stay readable.
func (o Options) mountExplore(r chi.Router, allowed map[string][]string) {
	get := func(path string, h http.Handler) {
		r.Method(http.MethodGet, path, h)
		allowed[path] = []string{http.MethodGet}
	}
	if o.Playground {
		get("/playground", web.Page("playground"))
	}
	if o.Playground {
		r.Method(http.MethodGet, web.AssetPrefix+"*", web.Assets())
	}
}
