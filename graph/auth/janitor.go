package auth

import (
	"context"
	"time"

	"authbff/ent/auditevent"
	"authbff/ent/mail"
	"authbff/ent/onetimetoken"
	"authbff/ent/refreshtoken"
	"authbff/ent/session"
)

// Retention of rows that can no longer be used.
const (
	janitorEvery      = time.Hour
	deadRetention     = 7 * 24 * time.Hour  // ended sessions, their refresh tokens, used or expired one-time tokens
	sentMailRetention = 30 * 24 * time.Hour // delivered or failed outbox rows (bodies are already gone)
)

// RunJanitor deletes, every hour until ctx ends, what can never be used again: refresh
// tokens and sessions that ended (revoked or past their absolute end) a week ago,
// one-time tokens used or expired a week ago, settled outbox rows after 30 days, and
// audit events older than AuditRetention (AUTH_AUDIT_RETENTION, default 365 days).
// Every replica may run it: the deletes are idempotent.
func (s *Service) RunJanitor(ctx context.Context) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Sweep(ctx); err != nil {
			if ctx.Err() == nil {
				s.cfg.Log.Error("janitor", "err", err)
			}
		} else if n > 0 {
			s.cfg.Log.Info("janitor: deleted rows that can no longer be used", "rows", n)
		}
		t.Reset(janitorEvery)
	}
}

// Sweep runs one janitor pass and returns how many rows it deleted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	cutoff := now.Add(-deadRetention)
	total := 0
	dead := session.Or(session.RevokedAtLT(cutoff), session.ExpiresAtLT(cutoff))
	// Rotated tokens of live sessions stay: they are how reuse is detected.
	n, err := s.db.RefreshToken.Delete().Where(refreshtoken.HasSessionWith(dead)).Exec(ctx)
	if err != nil {
		return total, err
	}
	total += n
	if n, err = s.db.Session.Delete().Where(dead).Exec(ctx); err != nil {
		return total, err
	}
	total += n
	if n, err = s.db.OneTimeToken.Delete().Where(onetimetoken.Or(onetimetoken.UsedAtLT(cutoff),
		onetimetoken.ExpiresAtLT(cutoff))).Exec(ctx); err != nil {
		return total, err
	}
	total += n
	if n, err = s.db.Mail.Delete().Where(mail.StatusIn(mail.StatusSent, mail.StatusFailed),
		mail.CreatedAtLT(now.Add(-sentMailRetention))).Exec(ctx); err != nil {
		return total, err
	}
	total += n
	if n, err = s.db.AuditEvent.Delete().Where(auditevent.CreatedAtLT(now.Add(-s.cfg.AuditRetention))).Exec(ctx); err != nil {
		return total, err
	}
	total += n
	// Rate-limit buckets back to full remember nothing.
	if sw, ok := s.limits.store.(interface {
		Sweep(context.Context, time.Time) (int, error)
	}); ok {
		if n, err = sw.Sweep(ctx, now); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
