package auth

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/google/uuid"

	"authbff/ent"
)

// Client describes who is calling: the transports put it in the context.
type Client struct {
	IP        string
	UserAgent string
	RequestID string // ties log lines to the X-Request-ID of the response
}

type clientKey struct{}

// WithClient returns ctx carrying the caller's address and user agent.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the caller set by WithClient (zero if none).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Principal is an authenticated caller: a live session of an active user.
type Principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	OrgID     *uuid.UUID
	user      *ent.User
	ended     atomic.Bool // the caller ended this very session (logout, revoking it)
}

// Ended reports whether an operation of this request ended the principal's own session:
// whatever else the request asks must then be refused, as a new request would be.
func (p *Principal) Ended() bool { return p.ended.Load() }

// Authenticate checks a bearer access token: signature, claims, and that its session is
// live and its account active, so that logout and revocation act at once. It costs one
// indexed query. Errors: AUTHENTICATION_FAILED.
func (s *Service) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, errAuthRequired()
	}
	now := s.now()
	s.maybeReload(ctx, false)
	v, ok := s.verified.get(raw, now, &s.ring)
	if !ok {
		c, err := s.parseAccess(ctx, raw, now)
		if err != nil {
			return nil, errAuthRequired()
		}
		if v, ok = verifiedFrom(c); !ok {
			return nil, errAuthRequired()
		}
		s.verified.put(raw, v)
	}
	uid, sid, org := v.uid, v.sid, v.org
	// One fixed statement (hotsql.go): the user row, if the account is active, the
	// session live, and (for a token naming an organization) the user still a member.
	// A token naming an organization the user has left stops working at once.
	var u *ent.User
	scan := func(r rowScanner) (err error) { u, err = scanUser(r); return err }
	var err error
	if org != nil {
		err = s.queryRow(ctx, scan, s.hot.authUserOrg, uid, true, sid, now, uid, *org)
	} else {
		err = s.queryRow(ctx, scan, s.hot.authUser, uid, true, sid, now)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAuthRequired()
	}
	if err != nil {
		return nil, Internal(err)
	}
	return &Principal{UserID: uid, SessionID: sid, OrgID: org, user: u}, nil
}

func (p *Principal) isActive(org uuid.UUID) bool { return p.OrgID != nil && *p.OrgID == org }
