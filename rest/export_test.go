package rest

// RouteTable lists the routes as "METHOD /v1/auth/path" with whether they need a bearer
// token, for the OpenAPI tests.
func RouteTable() map[string]bool {
	out := map[string]bool{}
	for _, rt := range routes {
		out[rt.method+" "+Prefix+rt.path] = rt.auth
	}
	return out
}
