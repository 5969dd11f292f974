package auth

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/auditevent"
	"authbff/ent/membership"
	"authbff/ent/onetimetoken"
	"authbff/ent/session"
	"authbff/ent/user"
)

// Hot paths (issue 12). The session check behind every authenticated request, the
// refresh rotation and the whole successful login (the account lookup, and in its
// transaction the account update, the reset links it voids, the session's organization,
// the session, the eviction beyond MaxSessions, the first refresh token and the audit
// event) run fixed SQL written once here instead of statements that ent builds per
// request:
//
//   - ent's builder costs tens of µs per query on these paths, and renders the session
//     and membership checks as correlated EXISTS subqueries, which SQLite plans on every
//     step; the same checks written as scalar subqueries `id = (SELECT …)` on a unique
//     or primary key are planned once and computed once per execution.
//   - A fixed statement text is prepared once per connection and reused: SQLite through
//     go-sqlite3's per-connection statement cache (_stmt_cache_size in the DSN, see
//     store.go), PostgreSQL through pgx's per-connection statement cache (its default
//     mode). ent's own queries benefit from the same caches.
//   - Where ent needs two statements for one step, the fixed SQL takes one: an update
//     that answers the row (UPDATE … RETURNING instead of ent's UPDATE then SELECT), the
//     eviction (one UPDATE … WHERE id IN (SELECT … OFFSET) instead of a SELECT of ids and
//     an UPDATE), the session's organization (one ordered SELECT instead of up to two).
//
// The writes store what ent stores (the same columns, and Go values of the same types as
// ent's arguments: uuid.UUID, time.Time, strings for enums and JSON text), so that ent
// reads them back unchanged everywhere else (login_sql_test.go compares them field by
// field on both databases). Where a function is shared with other callers
// (voidResetTokens, loginOrg, startSession, auditInsert…), every caller runs the fixed
// statement: one place for each.
//
// ent stays the schema and the home of everything else; these statements are tested on
// SQLite and PostgreSQL by the whole suite (every authenticated request, every refresh
// and every login runs them).

// hotSQL holds the statements, rendered once for the dialect's placeholders.
type hotSQL struct {
	authUser    string // the user row of a live session
	authUserOrg string // the same, and a member of the token's organization

	// A refresh token names its row (tokens.go): it is found by primary key and verified
	// by its hash, so that no statement of a rotation reads or writes an index keyed by a
	// random hash. Only legacy tokens (issued before that format) are found by
	// token_hash, through its partial unique index, which new rows never enter.
	refreshLookup       string // a refresh token with its session and user, by id and secret_hash
	refreshLookupLegacy string // the same for a legacy token, by token_hash
	refreshMark         string // mark a token rotated, if it is not yet
	refreshInsert       string // store a child token (secret_hash; token_hash stays NULL)
	refreshPrune        string // delete a session's tokens but the newest refreshKeep (and the parent and the child)
	refreshCurrent      string // the current (unrotated) child of a token, by parent_id: its id and hashes
	sessionTouch        string // last_used_at
	sessionRevoke       string // revoke a live session with a reason

	// Login (login.go) and the session start it shares with register (sessions.go).
	loginUser     string // the account a login names, by username_key or email_key
	loginUpdate   string // last_login, failed_logins = 0 and a rehashed password, answering the row
	loginOrg      string // the organization a new session starts in
	resetVoid     string // void a user's outstanding reset links
	userLock      string // the user's row lock (PostgreSQL; "" on SQLite, see lockUser)
	sessionInsert string // a new session
	sessionEvict  string // revoke a user's live sessions beyond the newest MaxSessions
	auditInsert   string // an audit event

	// pgRotate is the whole common-case rotation on PostgreSQL in one statement (one
	// round trip, one implicit transaction): find the token by id and secret_hash (a
	// legacy token takes the transaction), mark it rotated if it is current and
	// its session and account live, store the child, prune, touch the session. It
	// returns no row when the token is anything else (unknown, expired, already rotated:
	// the transaction of rotate then decides grace or reuse). Under READ COMMITTED a
	// concurrent rotation of the same token waits on the row lock of the UPDATE, which
	// then re-checks rotated_at IS NULL on the committed row and finds it rotated.
	pgRotate string
}

// refreshLookupCols are what rotate reads of a refresh token, its session and its user.
const refreshLookupCols = "SELECT t.id, t.rotated_at, t.expires_at, s.id, s.revoked_at, s.expires_at, s.org_id, u.id, u.is_active, u.roles" +
	" FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id"

// userCols are the users columns in the order scanUser reads them.
var userCols = []string{
	user.FieldID, user.FieldEmail, user.FieldEmailKey, user.FieldUsername, user.FieldUsernameKey,
	user.FieldPasswordHash, user.FieldAuthProvider, user.FieldFullName, user.FieldAvatarURL, user.FieldBio,
	user.FieldTimezone, user.FieldLocale, user.FieldPreferences, user.FieldSettings, user.FieldRoles,
	user.FieldIsActive, user.FieldIsVerified, user.FieldDefaultWorkspaceID, user.FieldFailedLogins,
	user.FieldCreatedAt, user.FieldUpdatedAt, user.FieldLastLogin,
}

func newHotSQL(postgres bool) hotSQL {
	cols := "u." + strings.Join(userCols, ", u.")
	// The session and the membership are scalar subqueries on a primary or unique key
	// (at most one row each): planned once, computed once per execution into a register.
	// `u.id IN (SELECT …)` plans the same searches but builds an ephemeral index for the
	// list on every execution (SQLite allocates and frees its pages each time: measured
	// ~35% more CPU for the statement with the membership check, and glibc returning
	// those pages to the kernel with madvise under load).
	auth := "SELECT " + cols + " FROM " + user.Table + " u WHERE u." + user.FieldID + " = ? AND u." + user.FieldIsActive + " = ?" +
		" AND u." + user.FieldID + " = (SELECT " + session.FieldUserID + " FROM " + session.Table +
		" WHERE " + session.FieldID + " = ? AND " + session.FieldRevokedAt + " IS NULL AND " + session.FieldExpiresAt + " > ?)"
	org := auth + " AND u." + user.FieldID + " = (SELECT " + membership.FieldUserID + " FROM " + membership.Table +
		" WHERE " + membership.FieldUserID + " = ? AND " + membership.FieldOrgID + " = ?)"
	h := hotSQL{
		authUser:            auth,
		authUserOrg:         org,
		refreshLookup:       refreshLookupCols + " WHERE t.id = ? AND t.secret_hash = ?",
		refreshLookupLegacy: refreshLookupCols + " WHERE t.token_hash = ?",
		refreshMark:         "UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at IS NULL",
		refreshInsert:       "INSERT INTO refresh_tokens (id, session_id, parent_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		refreshPrune: "DELETE FROM refresh_tokens WHERE session_id = ? AND id <> ? AND id <> ? AND id NOT IN" +
			" (SELECT id FROM refresh_tokens WHERE session_id = ? ORDER BY created_at DESC LIMIT " + strconv.Itoa(refreshKeep) + ")",
		refreshCurrent: "SELECT id, secret_hash, token_hash FROM refresh_tokens WHERE parent_id = ? AND rotated_at IS NULL",
		sessionTouch:   "UPDATE sessions SET last_used_at = ? WHERE id = ?",
		sessionRevoke:  "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
	}
	h.pgRotate = `WITH t AS (
	SELECT t.id, t.session_id, s.expires_at AS sess_exp, s.org_id, u.id AS user_id, u.roles
	FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
	WHERE t.id = $1 AND t.secret_hash = $2 AND t.rotated_at IS NULL AND t.expires_at > $3
	  AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.is_active
), r AS (
	UPDATE refresh_tokens rt SET rotated_at = $3 FROM t WHERE rt.id = t.id AND rt.rotated_at IS NULL
	RETURNING rt.id, rt.session_id
), i AS (
	INSERT INTO refresh_tokens (id, session_id, parent_id, secret_hash, created_at, expires_at)
	SELECT $4, r.session_id, r.id, $5, $3, LEAST($6, t.sess_exp) FROM r JOIN t ON t.id = r.id
), p AS (
	DELETE FROM refresh_tokens WHERE session_id IN (SELECT session_id FROM r) AND id NOT IN (SELECT id FROM r)
	  AND id NOT IN (SELECT k.id FROM refresh_tokens k WHERE k.session_id IN (SELECT session_id FROM r)
	                 ORDER BY k.created_at DESC LIMIT ` + strconv.Itoa(refreshKeep-1) + `)
), su AS (
	UPDATE sessions SET last_used_at = $3 WHERE id IN (SELECT session_id FROM r)
)
SELECT t.session_id, t.org_id, t.user_id, t.roles FROM t JOIN r ON r.id = t.id`
	h.loginSQL(cols, postgres)
	for _, q := range []*string{&h.authUser, &h.authUserOrg, &h.refreshLookup, &h.refreshLookupLegacy, &h.refreshMark, &h.refreshInsert,
		&h.refreshPrune, &h.refreshCurrent, &h.sessionTouch, &h.sessionRevoke,
		&h.loginUser, &h.loginUpdate, &h.loginOrg, &h.resetVoid, &h.userLock, &h.sessionInsert, &h.sessionEvict, &h.auditInsert} {
		*q = rebind(*q, postgres)
	}
	return h
}

// loginSQL renders the statements of a successful login (before rebind). cols are the
// userCols qualified by the alias u.
func (h *hotSQL) loginSQL(cols string, postgres bool) {
	plain := strings.Join(userCols, ", ")
	// ent's First: no ORDER BY (the two keys are each unique, and a login names one
	// account; should a username_key equal another account's email_key, which register
	// and the profile forbid, either row is the answer as before). Each side of the OR
	// is a search of its unique index (SQLite's OR-by-union, PostgreSQL's BitmapOr).
	h.loginUser = "SELECT " + cols + " FROM " + user.Table + " u WHERE u." + user.FieldUsernameKey + " = ? OR u." +
		user.FieldEmailKey + " = ? LIMIT 1"
	// What ent's UpdateOneID(…).SetLastLogin(now).SetFailedLogins(0)[.SetPasswordHash(h)]
	// wrote, in one statement that answers the row instead of ent's UPDATE and SELECT.
	// updated_at is left alone as ent left it (the schema has no UpdateDefault: a login
	// is not an edit of the account). A NULL new hash keeps the stored one (COALESCE), so
	// that one statement text serves a login with and without a rehash.
	h.loginUpdate = "UPDATE " + user.Table + " SET " + user.FieldLastLogin + " = ?, " + user.FieldFailedLogins + " = 0, " +
		user.FieldPasswordHash + " = COALESCE(?, " + user.FieldPasswordHash + ") WHERE " + user.FieldID + " = ? RETURNING " + plain
	// The personal workspace while the user is still its member, else the oldest
	// membership (created_at, then id), else NULL: ent's two queries (an EXISTS, then an
	// ordered First) as one. The first scalar subquery is a search of the unique
	// (user_id, org_id) index; COALESCE evaluates the second (a sort of the user's few
	// memberships) only when the first finds nothing, i.e. when the user left the
	// workspace or has none (a NULL workspace matches no row). Measured against one
	// SELECT ordered by CASE WHEN org_id = ? (a sorter on every login): 5% of a login's
	// CPU in BenchmarkLoginCheapHash for that form.
	h.loginOrg = "SELECT COALESCE((SELECT " + membership.FieldOrgID + " FROM " + membership.Table + " WHERE " +
		membership.FieldUserID + " = ? AND " + membership.FieldOrgID + " = ?), (SELECT " + membership.FieldOrgID + " FROM " +
		membership.Table + " WHERE " + membership.FieldUserID + " = ? ORDER BY " + membership.FieldCreatedAt + ", " +
		membership.FieldID + " LIMIT 1))"
	// The kind is a constant of the statement, stored as ent stores the enum (its name).
	h.resetVoid = "UPDATE " + onetimetoken.Table + " SET " + onetimetoken.FieldUsedAt + " = ? WHERE " + onetimetoken.FieldUserID +
		" = ? AND " + onetimetoken.FieldKind + " = '" + string(onetimetoken.KindResetPassword) + "' AND " +
		onetimetoken.FieldUsedAt + " IS NULL"
	if postgres {
		h.userLock = "SELECT " + user.FieldID + " FROM " + user.Table + " WHERE " + user.FieldID + " = ? FOR UPDATE"
	}
	// Every column ent's Create set (revoke_reason stays NULL as ent left it).
	h.sessionInsert = "INSERT INTO " + session.Table + " (" + session.FieldID + ", " + session.FieldUserID + ", " +
		session.FieldOrgID + ", " + session.FieldCreatedAt + ", " + session.FieldLastUsedAt + ", " + session.FieldExpiresAt + ", " +
		session.FieldIP + ", " + session.FieldUserAgent + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	// ent's SELECT of the ids beyond the newest MaxSessions and its UPDATE of them, as
	// one statement. An OFFSET without a LIMIT is `LIMIT -1 OFFSET` in SQLite's grammar
	// (it has no OFFSET alone) and `OFFSET` in PostgreSQL's.
	offset := " LIMIT -1 OFFSET ?"
	if postgres {
		offset = " OFFSET ?"
	}
	h.sessionEvict = "UPDATE " + session.Table + " SET " + session.FieldRevokedAt + " = ?, " + session.FieldRevokeReason +
		" = 'evicted' WHERE " + session.FieldID + " IN (SELECT " + session.FieldID + " FROM " + session.Table + " WHERE " +
		session.FieldUserID + " = ? AND " + session.FieldRevokedAt + " IS NULL AND " + session.FieldExpiresAt + " > ?" +
		" ORDER BY " + session.FieldCreatedAt + " DESC, " + session.FieldID + " DESC" + offset + ")"
	// Every column ent's Create set.
	h.auditInsert = "INSERT INTO " + auditevent.Table + " (" + auditevent.FieldID + ", " + auditevent.FieldType + ", " +
		auditevent.FieldUserID + ", " + auditevent.FieldSessionID + ", " + auditevent.FieldIP + ", " + auditevent.FieldUserAgent +
		", " + auditevent.FieldData + ", " + auditevent.FieldCreatedAt + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
}

// refreshKeep is how many refresh tokens a session keeps: its current one and the
// rotated ones before it, newest first. Presenting any of them again after the grace is
// reuse and revokes the session (CONTRACT §5); an older one has been deleted and answers
// 401 like an unknown token. It bounds refresh_tokens at refreshKeep rows per session
// instead of one row per rotation for the life of the session.
const refreshKeep = 10

// rebind turns ? placeholders into $1, $2… for PostgreSQL.
func rebind(q string, postgres bool) string {
	if !postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanUser reads the userCols of one row into an ent.User, as ent would.
func scanUser(r rowScanner) (*ent.User, error) {
	var (
		u                                           ent.User
		pw, full, avatar, bio, tz, locale           sql.NullString
		roles                                       []byte
		ws                                          uuid.NullUUID
		failed                                      sql.NullInt64
		active, verified                            sql.NullBool
		created, updated, last                      sql.NullTime
		email, emailKey, username, usernameKey, prv sql.NullString
		prefs, settings                             sql.NullString
	)
	if err := r.Scan(&u.ID, &email, &emailKey, &username, &usernameKey, &pw, &prv, &full, &avatar, &bio, &tz,
		&locale, &prefs, &settings, &roles, &active, &verified, &ws, &failed, &created, &updated, &last); err != nil {
		return nil, err
	}
	u.Email, u.EmailKey, u.Username, u.UsernameKey = email.String, emailKey.String, username.String, usernameKey.String
	u.AuthProvider, u.Preferences, u.Settings = prv.String, prefs.String, settings.String
	u.PasswordHash, u.FullName, u.AvatarURL = nullStr(pw), nullStr(full), nullStr(avatar)
	u.Bio, u.Timezone, u.Locale = nullStr(bio), nullStr(tz), nullStr(locale)
	if len(roles) > 0 {
		if u.Roles = plainRoles(roles); u.Roles == nil {
			if err := json.Unmarshal(roles, &u.Roles); err != nil {
				return nil, err
			}
		}
	}
	u.IsActive, u.IsVerified, u.FailedLogins = active.Bool, verified.Bool, int(failed.Int64)
	if ws.Valid {
		id := ws.UUID
		u.DefaultWorkspaceID = &id
	}
	u.CreatedAt, u.UpdatedAt = created.Time, updated.Time
	if last.Valid {
		t := last.Time
		u.LastLogin = &t
	}
	return &u, nil
}

var jsonUnmarshal = json.Unmarshal

// plainRoles decodes the roles column in its usual shape, a compact JSON array of
// strings without escapes (["user"], ["user","admin"]), as json.Unmarshal would, without
// its reflection (every authenticated request reads it). Anything else returns nil and
// is left to json.Unmarshal.
func plainRoles(b []byte) []string {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil
	}
	out := make([]string, 0, 2)
	rest := b[1 : len(b)-1]
	if len(rest) == 0 {
		return out
	}
	for {
		if len(rest) < 2 || rest[0] != '"' {
			return nil
		}
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if c := rest[end]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil // escapes, control or non-ASCII bytes: json.Unmarshal's rules apply
			}
			end++
		}
		if end == len(rest) {
			return nil
		}
		out = append(out, string(rest[1:end]))
		rest = rest[end+1:]
		if len(rest) == 0 {
			return out
		}
		if rest[0] != ',' {
			return nil
		}
		rest = rest[1:]
	}
}

func nullStr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

// queryRow runs a fixed read through the ent client's driver and scans its first row;
// it returns sql.ErrNoRows when there is none. It runs under AUTH_DB_TIMEOUT (the
// store's deadline queue, as every statement of the ent client), and a read that met a
// connection the server ended, or a storage failure that retired its SQLite
// connection, is run once more on another connection (readAgain, as deadlineDriver).
func (s *Service) queryRow(ctx context.Context, scan func(rowScanner) error, query string, args ...any) error {
	err := s.queryRowOnce(ctx, scan, query, args...)
	if readAgain(ctx, err) {
		err = s.queryRowOnce(ctx, scan, query, args...)
	}
	return err
}

func (s *Service) queryRowOnce(ctx context.Context, scan func(rowScanner) error, query string, args ...any) error {
	dc := bounded(s.dbDeadlines, ctx)
	defer dc.Stop()
	if s.sqliteDB != nil {
		return queryRowDriver(dc, s.sqliteDB, scan, query, args)
	}
	rows, err := s.db.QueryContext(dc, query, args...)
	return scanOne(rows, err, scan)
}

// queryRowDriver runs a one-row read on a connection of db through its driver directly
// (SQLite: Store.SQLiteDB, from Config.Store). database/sql's Rows watch a cancellable context from a
// goroutine of their own (Rows.awaitDone), started for every query and woken by its
// Close: on the session check behind every authenticated request that goroutine, its
// scheduling and the Rows machinery were ~10% of a /me's CPU in BenchmarkMeRESTProduction
// (issue 12). The driver (go-sqlite3) watches the context itself, without a goroutine
// (sqlite3_interrupt from context.AfterFunc), so the read is cancelled by the deadline as
// before. Arguments are converted as database/sql converts them (driver.Valuer, then
// the driver's own types), and each destination is filled as Rows.Scan fills it
// (driverRow).
func queryRowDriver(ctx context.Context, db *sql.DB, scan func(rowScanner) error, query string, args []any) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("auth: %T is not a driver.QueryerContext", dc)
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			v, err := driver.DefaultParameterConverter.ConvertValue(a)
			if err != nil {
				return fmt.Errorf("auth: argument %d: %w", i+1, err)
			}
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(rows.Columns()))
		if err := rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				return sql.ErrNoRows
			}
			return err
		}
		if err := scan(driverRow(vals)); err != nil {
			return err
		}
		return rows.Close()
	})
}

// driverRow is one row of driver values, scanned as database/sql's Rows.Scan would for
// the destinations the hot reads use: an sql.Scanner (uuid.UUID, the sql.Null types)
// gets the value itself, *[]byte a copy, *string, *int64, *bool and *time.Time the value
// of that type. Anything else is an error (a new destination type needs a line here).
type driverRow []driver.Value

func (r driverRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("auth: %d destinations for %d columns", len(dest), len(r))
	}
	for i, d := range dest {
		v := r[i]
		var err error
		switch d := d.(type) {
		case sql.Scanner:
			err = d.Scan(v)
		case *[]byte:
			switch v := v.(type) {
			case nil:
				*d = nil
			case []byte:
				*d = bytes.Clone(v)
			case string:
				*d = []byte(v)
			default:
				err = fmt.Errorf("%T into *[]byte", v)
			}
		case *string:
			switch v := v.(type) {
			case string:
				*d = v
			case []byte:
				*d = string(v)
			default:
				err = fmt.Errorf("%T into *string", v)
			}
		case *int64:
			n, ok := v.(int64)
			*d, err = n, typeErr(ok, v, "*int64")
		case *bool:
			switch v := v.(type) {
			case bool:
				*d = v
			case int64:
				*d = v != 0
			default:
				err = fmt.Errorf("%T into *bool", v)
			}
		case *time.Time:
			t, ok := v.(time.Time)
			*d, err = t, typeErr(ok, v, "*time.Time")
		default:
			err = fmt.Errorf("destination %T not supported", d)
		}
		if err != nil {
			return fmt.Errorf("auth: scanning column %d: %w", i, err)
		}
	}
	return nil
}

func typeErr(ok bool, v any, into string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%T into %s", v, into)
}

// scanOne reads the one row a query answers (sql.ErrNoRows when none) and closes rows:
// queryRow and txQueryRow share it.
func scanOne(rows *sql.Rows, err error, scan func(rowScanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := scan(rows); err != nil {
		return err
	}
	return rows.Close()
}
