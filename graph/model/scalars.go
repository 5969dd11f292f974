// Package model holds the GraphQL types gqlgen generates and the two custom scalars.
package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// DateTimeLayout is how every timestamp leaves the service: UTC, microseconds, a Z.
const DateTimeLayout = "2006-01-02T15:04:05.000000Z"

// MarshalDateTime writes t in UTC with microsecond precision, as pydantic writes an aware datetime.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [40]byte
		b := append(buf[:0], '"')
		b = t.UTC().AppendFormat(b, DateTimeLayout)
		b = append(b, '"')
		_, _ = w.Write(b)
	})
}

// UnmarshalDateTime reads an RFC 3339 timestamp.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("DateTime must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("DateTime must be an RFC 3339 string")
	}
	return t.UTC(), nil
}

// JSONObject is the compact JSON text of an object. It is kept as text so that the key
// order a client chose survives storage and comes back unchanged.
type JSONObject json.RawMessage

// ErrNotObject is returned when a JSONObject is given anything but an object (the
// presenter turns it into a dict_type entry).
var ErrNotObject = errors.New("not a JSON object")

// MarshalGQL writes the stored object as is.
func (o JSONObject) MarshalGQL(w io.Writer) {
	if len(o) == 0 {
		_, _ = io.WriteString(w, "{}")
		return
	}
	_, _ = w.Write(o)
}

// UnmarshalGQL accepts a decoded JSON object (GraphQL variables and literals) or raw
// object text (the REST adapter passes raw text to keep key order).
func (o *JSONObject) UnmarshalGQL(v any) error {
	switch v := v.(type) {
	case json.RawMessage:
		t := bytes.TrimSpace(v)
		if len(t) == 0 || t[0] != '{' {
			return ErrNotObject
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, t); err != nil {
			return ErrNotObject
		}
		*o = JSONObject(buf.Bytes())
		return nil
	case map[string]any:
		b, err := marshalNoEscape(v)
		if err != nil {
			return ErrNotObject
		}
		*o = JSONObject(b)
		return nil
	default:
		return ErrNotObject
	}
}

// marshalNoEscape encodes like json.Marshal without escaping <, > and &, as Python does.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// String returns the object's JSON text.
func (o JSONObject) String() string {
	if len(o) == 0 {
		return "{}"
	}
	return string(o)
}
