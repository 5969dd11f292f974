package rest

import "authbff/graph"

// RouteOp is a route of the table with its persisted operation, for the external tests.
type RouteOp struct {
	Method, Path string
	Auth         bool
	Text         string
	// Vars has a placeholder for each of the operation's variables ("x", or {} for a
	// JSON object): well-typed, so the executor reaches the resolver.
	Vars map[string]any
}

// RouteOps returns the route table with its operations loaded.
func RouteOps() ([]RouteOp, error) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	var out []RouteOp
	for _, rt := range routes {
		op, err := loadOperation(schema, rt.op, rt.form)
		if err != nil {
			return nil, err
		}
		vars := map[string]any{}
		for _, v := range op.vars {
			vars[v.name] = "x"
			if v.kind == kindObject {
				vars[v.name] = map[string]any{}
			}
		}
		out = append(out, RouteOp{Method: rt.method, Path: Prefix + rt.path, Auth: rt.auth, Text: op.text, Vars: vars})
	}
	return out, nil
}

// RouteTable lists the routes as "METHOD /v1/auth/path" with whether they need a bearer
// token, for the OpenAPI tests.
func RouteTable() map[string]bool {
	out := map[string]bool{}
	for _, rt := range routes {
		out[rt.method+" "+Prefix+rt.path] = rt.auth
	}
	return out
}
