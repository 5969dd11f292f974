package auth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// Helpers shared by keys_test.go and audit_test.go.

// testUA is the User-Agent every request of these tests sends, so audit rows and
// sessions can be checked for it.
const testUA = "authbff-keys-audit-test/1.0 (+https://example.com/ua)"

// uaDo is e.Do with the test User-Agent.
func uaDo(t testing.TB, e *apitest.Env, method, path string, body any, token string) *apitest.Response {
	t.Helper()
	return e.Do(method, path, body, token, "User-Agent", testUA)
}

// uaGQL posts a GraphQL operation with the test User-Agent.
func uaGQL(t testing.TB, e *apitest.Env, query string, vars map[string]any, token string) *apitest.GQLResponse {
	t.Helper()
	return e.For(t).GraphQL(query, vars, token, "User-Agent", testUA)
}

// uaGQLOK runs a GraphQL operation that must succeed and returns its data.
func uaGQLOK(t testing.TB, e *apitest.Env, query string, vars map[string]any, token string) map[string]any {
	t.Helper()
	r := uaGQL(t, e, query, vars, token)
	if len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("GraphQL %s: %d %s", uaFirstLine(query), r.Status, r.Raw)
	}
	return r.Data
}

// uaGQLCode runs a GraphQL operation that must fail and returns the first error's code.
func uaGQLCode(t testing.TB, e *apitest.Env, query string, vars map[string]any, token string) string {
	t.Helper()
	r := uaGQL(t, e, query, vars, token)
	if len(r.Errors) == 0 {
		t.Fatalf("GraphQL %s succeeded, want an error: %s", uaFirstLine(query), r.Raw)
	}
	return r.Errors[0].Code()
}

func uaFirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// uaRegister registers name over REST with the test User-Agent.
func uaRegister(t testing.TB, e *apitest.Env, name, password string) *apitest.Account {
	t.Helper()
	a := &apitest.Account{Username: name, Email: name + "@example.com", Password: password}
	r := uaDo(t, e, http.MethodPost, "/v1/auth/register",
		map[string]any{"email": a.Email, "username": a.Username, "password": a.Password}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	m := r.Object(t)
	user := m["user"].(map[string]any)
	a.UserID, a.Access, a.Refresh = user["user_id"].(string), m["access_token"].(string), m["refresh_token"].(string)
	a.WorkspaceID, _ = user["default_workspace_id"].(string)
	return a
}

// uaLogin signs in over REST with the test User-Agent.
func uaLogin(t testing.TB, e *apitest.Env, username, password string) (access, refresh string) {
	t.Helper()
	r := uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": username, "password": password}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	m := r.Object(t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

// uaRefresh exchanges a refresh token over REST; it fails the test unless it answers 200.
func uaRefresh(t testing.TB, e *apitest.Env, refresh string) (access, next string) {
	t.Helper()
	r := uaDo(t, e, http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refresh}, "")
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	m := r.Object(t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

// uaMeStatus is the HTTP status of GET /v1/auth/me with token.
func uaMeStatus(t testing.TB, e *apitest.Env, token string) int {
	t.Helper()
	return uaDo(t, e, http.MethodGet, "/v1/auth/me", nil, token).Status
}

// uaRefreshStatus is the HTTP status of POST /v1/auth/refresh with token.
func uaRefreshStatus(t testing.TB, e *apitest.Env, token string) int {
	t.Helper()
	return uaDo(t, e, http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": token}, "").Status
}

// jwtUnverified returns a JWT's header and claims without checking its signature.
func jwtUnverified(t testing.TB, token string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil {
		t.Fatalf("not a JWT: %v: %q", err, token)
	}
	return tok.Header, claims
}

// jwtKid is the kid header of a JWT.
func jwtKid(t testing.TB, token string) string {
	t.Helper()
	h, _ := jwtUnverified(t, token)
	kid, _ := h["kid"].(string)
	if kid == "" {
		t.Fatalf("token has no kid header: %v", h)
	}
	return kid
}

// jwtSid is the sid claim of a JWT.
func jwtSid(t testing.TB, token string) string {
	t.Helper()
	_, c := jwtUnverified(t, token)
	sid, _ := c["sid"].(string)
	if sid == "" {
		t.Fatalf("token has no sid claim: %v", c)
	}
	return sid
}

// ringSecret reads the raw secret (HS256) or seed (EdDSA) of kid from the key
// ring in the settings table, so a test can sign tokens as that key would.
func ringSecret(t testing.TB, e *apitest.Env, kid string) []byte {
	t.Helper()
	row, err := e.DB.Setting.Get(context.Background(), "jwt_keys")
	if err != nil {
		t.Fatalf("reading the key ring: %v", err)
	}
	var keys []struct {
		KID    string `json:"kid"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(row.Value), &keys); err != nil {
		t.Fatalf("key ring is not JSON: %v", err)
	}
	for _, k := range keys {
		if k.KID == kid {
			raw, err := hex.DecodeString(k.Secret)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
	}
	t.Fatalf("kid %s is not in the stored ring", kid)
	return nil
}

// jwtForge signs claims with method and key, with the given header fields.
func jwtForge(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// jwtCloneClaims copies a token's claims so that a test can change some of them.
func jwtCloneClaims(t testing.TB, token string) jwt.MapClaims {
	t.Helper()
	_, c := jwtUnverified(t, token)
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	return out
}

func keyIDs(ks []auth.KeyInfo) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.KID
	}
	return out
}

func TestAccessTokenHeader(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
	h, _ := jwtUnverified(t, a.Access)
	if h["typ"] != "at+jwt" || h["alg"] != "HS256" {
		t.Errorf("header = %v, want typ at+jwt and alg HS256", h)
	}
	ks := e.Svc.Keys()
	if len(ks) != 1 {
		t.Fatalf("Keys() = %v, want one key on a fresh database", ks)
	}
	if got := jwtKid(t, a.Access); got != ks[0].KID {
		t.Errorf("kid = %q, want the signing key %q", got, ks[0].KID)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OldTokenVerifiesAndNewTokensCarryNewKid", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		oldKid := jwtKid(t, a.Access)
		k, err := e.Svc.RotateKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k.KID == oldKid || k.Alg != auth.AlgHS256 {
			t.Fatalf("RotateKeys = %+v, want a new HS256 kid (old %s)", k, oldKid)
		}
		access, _ := uaLogin(t, e, "alice", a.Password)
		if got := jwtKid(t, access); got != k.KID {
			t.Errorf("login after rotation: kid %q, want %q", got, k.KID)
		}
		// A token refreshed from a pre-rotation refresh token is signed by the new key too.
		if access2, _ := uaRefresh(t, e, a.Refresh); jwtKid(t, access2) != k.KID {
			t.Errorf("refresh after rotation: kid %q, want %q", jwtKid(t, access2), k.KID)
		}
		if s := uaMeStatus(t, e, a.Access); s != http.StatusOK {
			t.Errorf("GET /me with a token signed before the rotation: %d, want 200", s)
		}
		if s := uaMeStatus(t, e, access); s != http.StatusOK {
			t.Errorf("GET /me with a token signed after the rotation: %d, want 200", s)
		}
		ks := e.Svc.Keys()
		if !slices.Equal(keyIDs(ks), []string{k.KID, oldKid}) {
			t.Fatalf("Keys() = %v, want [%s %s]", keyIDs(ks), k.KID, oldKid)
		}
		if ks[0].Retired != nil || ks[1].Retired == nil {
			t.Errorf("Keys(): the signer must not be retired and the old key must be: %+v", ks)
		}
	})

	t.Run("KeyRetiredRecentlySurvivesNextRotation", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		k0 := jwtKid(t, a.Access)
		for range 2 {
			if _, err := e.Svc.RotateKeys(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if s := uaMeStatus(t, e, a.Access); s != http.StatusOK {
			t.Errorf("token of a key retired just now, after a second rotation: %d, want 200", s)
		}
		if !slices.Contains(keyIDs(e.Svc.Keys()), k0) {
			t.Errorf("Keys() = %v dropped %s, retired less than AccessTTL ago", keyIDs(e.Svc.Keys()), k0)
		}
	})

	t.Run("KeyRetiredLongerThanAccessTTLIsDropped", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		k0 := jwtKid(t, a.Access)
		secret0 := ringSecret(t, e, k0)
		// A token of k0 that expires long after k0 is dropped: only the key ring can
		// refuse it, not its exp.
		longLived := func() string {
			c := jwtCloneClaims(t, a.Access)
			now := e.Clock.Now()
			c["iat"], c["exp"] = now.Unix(), now.Add(24*time.Hour).Unix()
			return jwtForge(t, jwt.SigningMethodHS256, secret0, map[string]any{"typ": "at+jwt", "kid": k0}, c)
		}
		if s := uaMeStatus(t, e, longLived()); s != http.StatusOK {
			t.Fatalf("control: a token signed with the stored k0 secret: %d, want 200", s)
		}
		if _, err := e.Svc.RotateKeys(ctx); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(15*time.Minute + 2*time.Minute) // past AccessTTL (15m) and its leeway
		access1, _ := uaLogin(t, e, "alice", a.Password)
		if s := uaMeStatus(t, e, longLived()); s != http.StatusOK {
			t.Fatalf("k0 retired but not yet dropped (no rotation since): %d, want 200", s)
		}
		k2, err := e.Svc.RotateKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(keyIDs(e.Svc.Keys()), k0) {
			t.Errorf("Keys() = %v still holds %s, retired more than AccessTTL ago", keyIDs(e.Svc.Keys()), k0)
		}
		if s := uaMeStatus(t, e, longLived()); s != http.StatusUnauthorized {
			t.Errorf("token of the dropped key (exp in the future): %d, want 401", s)
		}
		if s := uaMeStatus(t, e, a.Access); s != http.StatusUnauthorized {
			t.Errorf("original token of the dropped key: %d, want 401", s)
		}
		if s := uaMeStatus(t, e, access1); s != http.StatusOK {
			t.Errorf("token of the key retired just now: %d, want 200", s)
		}
		if access2, _ := uaLogin(t, e, "alice", a.Password); jwtKid(t, access2) != k2.KID {
			t.Errorf("new token kid %q, want %q", jwtKid(t, access2), k2.KID)
		}
	})
}

func TestKeyRotationAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	e1 := apitest.New(t, apitest.WithDatabase(url))
	e2 := apitest.New(t, apitest.WithDatabase(url))
	if !slices.Equal(keyIDs(e1.Svc.Keys()), keyIDs(e2.Svc.Keys())) {
		t.Fatalf("replicas start with different rings: %v vs %v", keyIDs(e1.Svc.Keys()), keyIDs(e2.Svc.Keys()))
	}
	a := uaRegister(t, e1, "alice", "Quartz-Heron-5521")

	k1, err := e1.Svc.RotateKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	access1, _ := uaLogin(t, e1, "alice", a.Password)
	if jwtKid(t, access1) != k1.KID {
		t.Fatalf("replica 1 signs with %q after rotating, want %q", jwtKid(t, access1), k1.KID)
	}
	if s := uaMeStatus(t, e2, access1); s != http.StatusOK {
		t.Errorf("replica 2, token signed by the key replica 1 just made: %d, want 200 (reload on unknown kid)", s)
	}
	if s := uaMeStatus(t, e2, a.Access); s != http.StatusOK {
		t.Errorf("replica 2, token signed before the rotation: %d, want 200", s)
	}

	// A second rotation that replica 2 learns of only through its periodic reload: it
	// meets no token of the new key, and only logs users in (no authenticated request).
	k2, err := e1.Svc.RotateKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e1.Clock.Advance(61 * time.Second) // both replicas share real time
	e2.Clock.Advance(61 * time.Second)
	// A login reloads a ring older than the period before it signs (maybeReload), so
	// the first login after the period already signs with the new key.
	access2, _ := uaLogin(t, e2, "alice", a.Password)
	if jwtKid(t, access2) != k2.KID {
		t.Fatalf("replica 2 still signs with %q more than a minute after the rotation, want %q", jwtKid(t, access2), k2.KID)
	}
	if s := uaMeStatus(t, e1, access2); s != http.StatusOK {
		t.Errorf("replica 1, token signed by replica 2: %d, want 200", s)
	}
	if s := uaMeStatus(t, e2, access1); s != http.StatusOK {
		t.Errorf("replica 2, token of the key retired just now: %d, want 200", s)
	}
	access3, _ := uaLogin(t, e2, "alice", a.Password)
	if got := jwtKid(t, access3); got != k2.KID {
		t.Errorf("replica 2 after an authenticated request: kid %q, want %q", got, k2.KID)
	}
}

// TestJWKSAcrossReplicas checks that a replica that only serves the JWKS (an offline
// verifier behind a load balancer) publishes a key another replica rotated in, within its
// reload period.
func TestJWKSAcrossReplicas(t *testing.T) {
	t.Parallel()
	url := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	e1 := apitest.New(t, apitest.WithDatabase(url), apitest.WithConfig(withEdDSA))
	e2 := apitest.New(t, apitest.WithDatabase(url), apitest.WithConfig(withEdDSA))
	a := uaRegister(t, e1, "alice", "Quartz-Heron-5521")
	k, err := e1.Svc.RotateKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e1.Clock.Advance(61 * time.Second)
	e2.Clock.Advance(61 * time.Second)
	access, _ := uaLogin(t, e1, "alice", a.Password)
	set := jwksFetch(t, e2)
	if len(set) != 2 {
		t.Fatalf("replica 2 publishes %d keys a minute after replica 1 rotated, want 2", len(set))
	}
	if _, c := jwksVerify(t, set, access, e2.Clock.Now()); c["sub"] != a.UserID || jwtKid(t, access) != k.KID {
		t.Errorf("token of the new key verified with replica 2's JWKS: sub %v kid %s", c["sub"], jwtKid(t, access))
	}
}

// jwksEntry is one entry of /.well-known/jwks.json.
type jwksEntry map[string]any

func jwksFetch(t testing.TB, e *apitest.Env) []jwksEntry {
	t.Helper()
	r := uaDo(t, e, http.MethodGet, "/.well-known/jwks.json", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET jwks: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("jwks Content-Type = %q", ct)
	}
	var set struct {
		Keys []jwksEntry `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil || set.Keys == nil {
		t.Fatalf("jwks is not {\"keys\":[...]}: %v: %s", err, r.Body)
	}
	return set.Keys
}

// jwksPublicKey finds kid in the JWKS and decodes its Ed25519 public key.
func jwksPublicKey(t testing.TB, set []jwksEntry, kid string) ed25519.PublicKey {
	t.Helper()
	for _, k := range set {
		if k["kid"] != kid {
			continue
		}
		x, _ := k["x"].(string)
		raw, err := base64.RawURLEncoding.DecodeString(x)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			t.Fatalf("jwks x of %s is not a base64url Ed25519 key: %q", kid, x)
		}
		return ed25519.PublicKey(raw)
	}
	t.Fatalf("kid %s not in the JWKS %v", kid, set)
	return nil
}

// jwksVerify checks token as another service would, with only the JWKS.
func jwksVerify(t testing.TB, set []jwksEntry, token string, now time.Time) (*jwt.Token, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		return jwksPublicKey(t, set, kid), nil
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer("authbff"), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil || !tok.Valid {
		t.Fatalf("offline verification failed: %v", err)
	}
	return tok, claims
}

func withEdDSA(c *auth.Config) { c.JWTAlg = auth.AlgEdDSA }

func TestJWKS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("EdDSAServesOnePublicKey", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.WithConfig(withEdDSA))
		set := jwksFetch(t, e)
		if len(set) != 1 {
			t.Fatalf("jwks has %d keys, want 1: %v", len(set), set)
		}
		k := set[0]
		want := map[string]any{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": e.Svc.Keys()[0].KID}
		for name, v := range want {
			if k[name] != v {
				t.Errorf("jwks %s = %v, want %v", name, k[name], v)
			}
		}
		if len(k) != 6 {
			t.Errorf("jwks key has fields %v, want exactly kty crv x kid alg use (no private part)", k)
		}
		jwksPublicKey(t, set, e.Svc.Keys()[0].KID)
	})

	t.Run("EdDSATokenVerifiesOffline", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.WithConfig(withEdDSA))
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		access, _ := uaLogin(t, e, "alice", a.Password)
		tok, c := jwksVerify(t, jwksFetch(t, e), access, e.Clock.Now())
		if tok.Header["typ"] != "at+jwt" || tok.Header["alg"] != "EdDSA" {
			t.Errorf("header = %v, want typ at+jwt, alg EdDSA", tok.Header)
		}
		if c["sub"] != a.UserID || c["org"] != a.WorkspaceID || c["iss"] != "authbff" {
			t.Errorf("claims sub/org/iss = %v/%v/%v, want %s/%s/authbff", c["sub"], c["org"], c["iss"], a.UserID, a.WorkspaceID)
		}
		if sid, _ := c["sid"].(string); len(sid) != 36 {
			t.Errorf("sid = %v, want a session UUID", c["sid"])
		}
		if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "user" {
			t.Errorf("roles = %v, want [user]", c["roles"])
		}
		iat, err1 := c.GetIssuedAt()
		exp, err2 := c.GetExpirationTime()
		if err1 != nil || err2 != nil || iat == nil || exp == nil || exp.Sub(iat.Time) != 15*time.Minute {
			t.Errorf("iat/exp = %v/%v, want exp = iat + 15m", c["iat"], c["exp"])
		}
		if s := uaMeStatus(t, e, access); s != http.StatusOK {
			t.Errorf("GET /me with the EdDSA token: %d", s)
		}
	})

	t.Run("EdDSARotationKeepsOldKeyPublished", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.WithConfig(withEdDSA))
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		k, err := e.Svc.RotateKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		access, _ := uaLogin(t, e, "alice", a.Password)
		if jwtKid(t, access) != k.KID || k.Alg != auth.AlgEdDSA {
			t.Fatalf("after rotation: token kid %s, new key %+v", jwtKid(t, access), k)
		}
		set := jwksFetch(t, e)
		if len(set) != 2 {
			t.Fatalf("jwks has %d keys after one rotation, want 2", len(set))
		}
		jwksVerify(t, set, a.Access, e.Clock.Now()) // signed by the retired key
		jwksVerify(t, set, access, e.Clock.Now())   // signed by the new one
		if s := uaMeStatus(t, e, a.Access); s != http.StatusOK {
			t.Errorf("GET /me with a pre-rotation EdDSA token: %d, want 200", s)
		}
	})

	t.Run("HS256TokenRefusedByEdDSA", func(t *testing.T) {
		t.Parallel()
		hs := apitest.New(t)
		ed := apitest.New(t, apitest.WithConfig(withEdDSA))
		hsAcc := uaRegister(t, hs, "alice", "Quartz-Heron-5521")
		edAcc := uaRegister(t, ed, "alice", "Quartz-Heron-5521")
		if s := uaMeStatus(t, ed, hsAcc.Access); s != http.StatusUnauthorized {
			t.Errorf("EdDSA service, HS256 token: %d, want 401", s)
		}
		// Algorithm confusion: HS256 with the published public key as the HMAC secret,
		// the right kid and the claims of a live session.
		set := jwksFetch(t, ed)
		kid := jwtKid(t, edAcc.Access)
		confused := jwtForge(t, jwt.SigningMethodHS256, []byte(jwksPublicKey(t, set, kid)),
			map[string]any{"typ": "at+jwt", "kid": kid}, jwtCloneClaims(t, edAcc.Access))
		if s := uaMeStatus(t, ed, confused); s != http.StatusUnauthorized {
			t.Errorf("EdDSA service, HS256 token keyed with the public key: %d, want 401", s)
		}
		if s := uaMeStatus(t, hs, edAcc.Access); s != http.StatusUnauthorized {
			t.Errorf("HS256 service, EdDSA token: %d, want 401", s)
		}
		if s := uaMeStatus(t, ed, edAcc.Access); s != http.StatusOK {
			t.Errorf("control: EdDSA service, its own token: %d, want 200", s)
		}
	})

	t.Run("SwitchingToEdDSAOnAnHS256DatabaseRefusesHS256Tokens", func(t *testing.T) {
		t.Parallel()
		url := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
		hs := apitest.New(t, apitest.WithDatabase(url))
		a := uaRegister(t, hs, "alice", "Quartz-Heron-5521")
		ed := apitest.New(t, apitest.WithDatabase(url), apitest.WithConfig(withEdDSA))
		ks := ed.Svc.Keys()
		if len(ks) != 1 || ks[0].Alg != auth.AlgEdDSA {
			t.Fatalf("EdDSA service on an HS256 ring: Keys() = %+v, want one EdDSA key", ks)
		}
		if s := uaMeStatus(t, ed, a.Access); s != http.StatusUnauthorized {
			t.Errorf("HS256 token after the switch to EdDSA: %d, want 401", s)
		}
		access, _ := uaLogin(t, ed, "alice", a.Password)
		if _, c := jwksVerify(t, jwksFetch(t, ed), access, ed.Clock.Now()); c["sub"] != a.UserID {
			t.Errorf("EdDSA token sub = %v, want %s", c["sub"], a.UserID)
		}
	})

	t.Run("HS256PublishesNoKeys", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		r := uaDo(t, e, http.MethodGet, "/.well-known/jwks.json", nil, "")
		if r.Status != http.StatusOK || string(r.Body) != `{"keys":[]}` {
			t.Errorf("HS256 jwks: %d %s, want 200 {\"keys\":[]}", r.Status, r.Body)
		}
		if _, err := e.Svc.RotateKeys(ctx); err != nil {
			t.Fatal(err)
		}
		if r := uaDo(t, e, http.MethodGet, "/.well-known/jwks.json", nil, ""); string(r.Body) != `{"keys":[]}` {
			t.Errorf("HS256 jwks after rotation: %s, want {\"keys\":[]}", r.Body)
		}
	})

	t.Run("EnvSecretPublishesNoKeysAndCannotRotate", func(t *testing.T) {
		t.Parallel()
		secret := []byte(strings.Repeat("k", 32))
		e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.JWTSecret = secret }))
		a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
		if r := uaDo(t, e, http.MethodGet, "/.well-known/jwks.json", nil, ""); string(r.Body) != `{"keys":[]}` {
			t.Errorf("jwks with AUTH_JWT_SECRET: %s, want {\"keys\":[]}", r.Body)
		}
		if _, err := e.Svc.RotateKeys(ctx); err == nil || !strings.Contains(err.Error(), "AUTH_JWT_SECRET") {
			t.Errorf("RotateKeys with AUTH_JWT_SECRET: %v, want an error naming AUTH_JWT_SECRET", err)
		}
		// The token is signed with the configured secret, under its kid.
		if _, err := jwt.Parse(a.Access, func(*jwt.Token) (any, error) { return secret, nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			t.Errorf("token does not verify with AUTH_JWT_SECRET: %v", err)
		}
		if jwtKid(t, a.Access) != e.Svc.Keys()[0].KID {
			t.Errorf("kid %s, want %s", jwtKid(t, a.Access), e.Svc.Keys()[0].KID)
		}
	})
}

// TestForgedAccessTokens checks that only a well-formed at+jwt of a known key, with the
// required claims, opens a session (CONTRACT §7).
func TestForgedAccessTokens(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := uaRegister(t, e, "alice", "Quartz-Heron-5521")
	kid := jwtKid(t, a.Access)
	secret := ringSecret(t, e, kid)
	now := e.Clock.Now()
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwtCloneClaims(t, a.Access)
		c["iat"], c["exp"] = now.Unix(), now.Add(10*time.Minute).Unix()
		if change != nil {
			change(c)
		}
		return c
	}
	hdr := func(kv ...any) map[string]any {
		h := map[string]any{"typ": "at+jwt", "kid": kid}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i].(string)] = kv[i+1]
		}
		return h
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		token string
		want  int
	}{
		{"OKStoredKey", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(nil)), 200},
		{"ErrTypJWT", jwtForge(t, jwt.SigningMethodHS256, secret, hdr("typ", "JWT"), claims(nil)), 401},
		{"ErrNoTyp", jwtForge(t, jwt.SigningMethodHS256, secret, hdr("typ", nil), claims(nil)), 401},
		{"ErrUnknownKid", jwtForge(t, jwt.SigningMethodHS256, secret, hdr("kid", "0011223344556677"), claims(nil)), 401},
		{"ErrNoKid", jwtForge(t, jwt.SigningMethodHS256, secret, hdr("kid", nil), claims(nil)), 401},
		{"ErrWrongSecret", jwtForge(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), hdr(), claims(nil)), 401},
		{"ErrAlgNone", none, 401},
		{"ErrExpired", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), 401},
		{"ErrNoExp", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401},
		{"ErrNoIat", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) { delete(c, "iat") })), 401},
		{"ErrIatInFuture", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) {
			c["iat"] = now.Add(5 * time.Minute).Unix()
		})), 401},
		{"ErrWrongIssuer", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) { c["iss"] = "evil" })), 401},
		{"ErrUnknownSession", jwtForge(t, jwt.SigningMethodHS256, secret, hdr(), claims(func(c jwt.MapClaims) {
			c["sid"] = "00000000-0000-4000-8000-000000000000"
		})), 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s := uaMeStatus(t, e, tc.token); s != tc.want {
				t.Errorf("GET /me: %d, want %d", s, tc.want)
			}
		})
	}
}
