package rest

import (
	"testing"

	"authbff/graph"
)

// BenchmarkOpenAPI measures building /openapi.json, which server.New does once at start.
func BenchmarkOpenAPI(b *testing.B) {
	schema := (&graph.Resolver{}).NewExecutableSchema().Schema()
	var ops []*operation
	for _, rt := range routes {
		op, err := loadOperation(schema, rt.op, rt.form)
		if err != nil {
			b.Fatal(err)
		}
		ops = append(ops, op)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openAPI(schema, ops); err != nil {
			b.Fatal(err)
		}
	}
}
