package auth

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
)

// User is an account as the transports see it (never an ent entity: secret columns
// stay behind the domain boundary).
type User struct {
	ID                 uuid.UUID
	Email              string
	Username           string
	FullName           *string
	AuthProvider       string
	IsActive           bool
	IsVerified         bool
	Roles              []string
	AvatarURL          *string
	Bio                *string
	Timezone           *string
	Locale             *string
	Preferences        string // JSON object text
	Settings           string // JSON object text
	CreatedAt          time.Time
	UpdatedAt          time.Time
	LastLogin          *time.Time
	DefaultWorkspaceID *uuid.UUID
	HasPassword        bool
}

func userFromEnt(u *ent.User) *User {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return &User{
		ID: u.ID, Email: u.Email, Username: u.Username, FullName: u.FullName, AuthProvider: u.AuthProvider,
		IsActive: u.IsActive, IsVerified: u.IsVerified, Roles: roles, AvatarURL: u.AvatarURL, Bio: u.Bio,
		Timezone: u.Timezone, Locale: u.Locale, Preferences: u.Preferences, Settings: u.Settings,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLogin: u.LastLogin,
		DefaultWorkspaceID: u.DefaultWorkspaceID, HasPassword: u.PasswordHash != nil && *u.PasswordHash != "",
	}
}

// foldKey is the case-insensitive key of an e-mail address or username.
func foldKey(s string) string { return strings.ToLower(s) }
