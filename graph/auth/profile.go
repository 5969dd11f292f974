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

// ProfileForm declares ProfileInput's fields and rules, in the order of the reference's
// profile model (the order of validation entries).
var ProfileForm = newForm(
	omittable(FieldFullName, maxLenRule(FullNameMaxLen), func(in *ProfileInput) *Field[string] { return &in.FullName }),
	omittable(FieldAvatarURL, avatarURLRule, func(in *ProfileInput) *Field[string] { return &in.AvatarURL }),
	omittable(FieldBio, maxLenRule(BioMaxLen), func(in *ProfileInput) *Field[string] { return &in.Bio }),
	omittable(FieldTimezone, timezoneRule, func(in *ProfileInput) *Field[string] { return &in.Timezone }),
	omittable(FieldLocale, localeRule, func(in *ProfileInput) *Field[string] { return &in.Locale }),
	omittable(FieldPreferences, objectRule, func(in *ProfileInput) *Field[string] { return &in.Preferences }).object(),
	omittable(FieldSettings, objectRule, func(in *ProfileInput) *Field[string] { return &in.Settings }).object(),
	omittable(FieldUsername, usernameRule, func(in *ProfileInput) *Field[string] { return &in.Username }).notNull(),
)

// UpdateProfile changes the caller's profile. Errors: AUTHENTICATION_FAILED,
// VALIDATION_ERROR, CONFLICT (details.field username).
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileInput) (*User, error) {
	if p == nil {
		return nil, errAuthRequired()
	}
	if err := ProfileForm.Validate(&in); err != nil {
		return nil, err
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
