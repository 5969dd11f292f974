package graph

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// RequestInfo is what the access log and the metrics report about a request, filled in
// as it runs: the REST route or the GraphQL root field, the GraphQL operation name, and
// the authenticated user. It is safe for concurrent use (a request that times out is
// logged while its handler may still run).
type RequestInfo struct {
	mu        sync.Mutex
	route     string
	operation string
	userID    string
	header    http.Header // the answer's headers, for Retry-After on /graphql
	// variables are the operation's variables as the request gave them, before coercion
	// (the error presenter names a coercion failure from the value, not the message).
	variables map[string]any
	// bearer is the request's access token and its check (WithBearer), when hasBearer.
	bearer    bearer
	hasBearer bool
}

func (i *RequestInfo) setVariables(v map[string]any) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.variables = v
	i.mu.Unlock()
}

// rawVariables returns the variables as the request gave them (nil if unknown).
func (i *RequestInfo) rawVariables() map[string]any {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.variables
}

type infoKey struct{}

// WithInfo returns ctx carrying info.
func WithInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// InfoFrom returns the request's info; a nil *RequestInfo (whose methods do nothing)
// if there is none.
func InfoFrom(ctx context.Context) *RequestInfo {
	i, _ := ctx.Value(infoKey{}).(*RequestInfo)
	return i
}

// SetRoute names the route, unless one is named already (a REST route names itself
// before it runs its GraphQL operation).
func (i *RequestInfo) SetRoute(route string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	if i.route == "" {
		i.route = route
	}
	i.mu.Unlock()
}

// SetHeader gives the info the answer's header map.
func (i *RequestInfo) SetHeader(h http.Header) {
	if i != nil {
		i.mu.Lock()
		i.header = h
		i.mu.Unlock()
	}
}

// SetRetryAfter sets Retry-After on the answer (seconds), keeping the largest.
func (i *RequestInfo) SetRetryAfter(seconds int) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.header == nil {
		return
	}
	if cur, err := strconv.Atoi(i.header.Get("Retry-After")); err == nil && cur >= seconds {
		return
	}
	i.header.Set("Retry-After", strconv.Itoa(seconds))
}

func (i *RequestInfo) setOperation(name string) {
	if i != nil {
		i.mu.Lock()
		i.operation = name
		i.mu.Unlock()
	}
}

func (i *RequestInfo) setUser(id string) {
	if i != nil {
		i.mu.Lock()
		i.userID = id
		i.mu.Unlock()
	}
}

// Snapshot returns route, operation and user id.
func (i *RequestInfo) Snapshot() (route, operation, userID string) {
	if i == nil {
		return "", "", ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.route, i.operation, i.userID
}

// maxOperationName bounds the operation name a client chooses, as logged.
const maxOperationName = 64

// operationInfo is a gqlgen extension that records, for the log and the metrics, the
// operation name (as the client wrote it, bounded and sanitized) and the first root
// field (from the schema, so the metrics' route label has bounded cardinality).
type operationInfo struct{}

var (
	_ graphql.HandlerExtension          = operationInfo{}
	_ graphql.OperationInterceptor      = operationInfo{}
	_ graphql.OperationParameterMutator = operationInfo{}
)

// MutateOperationParameters keeps the raw variables (see RequestInfo.variables).
func (operationInfo) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	InfoFrom(ctx).setVariables(p.Variables)
	return nil
}

func (operationInfo) ExtensionName() string                   { return "OperationInfo" }
func (operationInfo) Validate(graphql.ExecutableSchema) error { return nil }

func (operationInfo) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	info := InfoFrom(ctx)
	if info != nil && graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		name := oc.OperationName
		if oc.Operation != nil && oc.Operation.Name != "" {
			name = oc.Operation.Name
		}
		info.setOperation(sanitizeName(name))
		if oc.Operation != nil {
			for _, sel := range oc.Operation.SelectionSet {
				if f, ok := sel.(*ast.Field); ok {
					info.SetRoute("graphql:" + f.Name)
					break
				}
			}
		}
	}
	return next(ctx)
}

// sanitizeName keeps a GraphQL name's characters ([_A-Za-z0-9]) and bounds its length.
func sanitizeName(s string) string {
	if len(s) > maxOperationName {
		s = s[:maxOperationName]
	}
	b := []byte(s)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
