package auth

import (
	"context"

	"authbff/ent"
	"authbff/ent/user"
)

// Me returns the caller's account. Errors: AUTHENTICATION_FAILED.
func (s *Service) Me(ctx context.Context, p *Principal) (*User, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	return userFromEnt(p.user), nil
}

// Field is an optional input field: Set says whether it was given at all; a nil Value
// with Set means null (clear).
type Field[T any] struct {
	Set   bool
	Value *T
}

// ProfileInput is the update-profile form: absent fields stay unchanged, null clears.
// Preferences and Settings are JSON object text.
type ProfileInput struct {
	FullName, AvatarURL, Bio, Timezone, Locale Field[string]
	Preferences, Settings                      Field[string]
	Username                                   Field[string]
}

// UpdateProfile changes the caller's profile. Errors: AUTHENTICATION_FAILED,
// VALIDATION_ERROR, CONFLICT (details.field username).
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileInput) (*User, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	vals := Values{}
	for name, f := range map[string]Field[string]{"full_name": in.FullName, "avatar_url": in.AvatarURL, "bio": in.Bio,
		"timezone": in.Timezone, "locale": in.Locale, "username": in.Username} {
		if f.Set && f.Value != nil {
			vals[name] = *f.Value
		}
	}
	for name, f := range map[string]Field[string]{"preferences": in.Preferences, "settings": in.Settings} {
		if f.Set && f.Value != nil {
			vals[name] = *f.Value
		}
	}
	var nulls []string
	if in.Username.Set && in.Username.Value == nil {
		nulls = append(nulls, "username")
	}
	if _, errs := Validate("updateProfile", vals, nulls...); len(errs) > 0 {
		return nil, ValidationError(errs...)
	}
	now := s.now()
	var out *User
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		upd := tx.User.UpdateOneID(p.UserID).SetUpdatedAt(now)
		setOrClear(in.FullName, upd.SetFullName, upd.ClearFullName)
		setOrClear(in.AvatarURL, upd.SetAvatarURL, upd.ClearAvatarURL)
		setOrClear(in.Bio, upd.SetBio, upd.ClearBio)
		setOrClear(in.Timezone, upd.SetTimezone, upd.ClearTimezone)
		setOrClear(in.Locale, upd.SetLocale, upd.ClearLocale)
		if in.Preferences.Set {
			upd.SetPreferences(objectOrEmpty(in.Preferences.Value))
		}
		if in.Settings.Set {
			upd.SetSettings(objectOrEmpty(in.Settings.Value))
		}
		if in.Username.Set && *in.Username.Value != p.user.Username {
			name := *in.Username.Value
			taken, err := tx.User.Query().Where(user.UsernameKey(foldKey(name)), user.IDNEQ(p.UserID)).Exist(ctx)
			if err != nil {
				return err
			}
			if taken {
				return errConflict("username")
			}
			upd.SetUsername(name).SetUsernameKey(foldKey(name))
		}
		u, err := upd.Save(ctx)
		if ent.IsConstraintError(err) {
			// The username is the only unique field a profile update writes.
			return errConflict("username")
		}
		if err != nil {
			return err
		}
		out = userFromEnt(u)
		return nil
	})
	return out, err
}

func setOrClear(f Field[string], set func(string) *ent.UserUpdateOne, clear func() *ent.UserUpdateOne) {
	switch {
	case !f.Set:
	case f.Value == nil:
		clear()
	default:
		set(*f.Value)
	}
}

func objectOrEmpty(v *string) string {
	if v == nil || *v == "" {
		return "{}"
	}
	return *v
}
