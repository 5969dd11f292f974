package auth

import "unicode/utf8"

// Validation is declared once per use case: each input type (LoginInput,
// RegisterInput…) has a Form beside it listing its fields in declaration order (the
// order of validation entries), each with its domain name, its rule and where the input
// keeps its value. The service validates the typed input with the Form; a transport
// names the Form (REST's route rows do) when it must merge the rules' entries with its
// own, and maps the Form's FieldNames onto its own names and locations.

// rule checks one string field and returns its normalized value or an entry.
type rule func(v string) (string, *FieldError)

// FieldSpec is one declared field of a Form, as a transport sees it.
type FieldSpec struct {
	Name FieldName
	// NotNull: the field is optional but, when given, must not be null (pydantic's
	// `str = None` without Optional).
	NotNull bool
	// Object: a preferences/settings object (JSON text); its entries echo no input
	// (the text of a too large or too deep object is no use to a client).
	Object bool
	rule   rule
}

// InputForm is a Form seen without its input type: what a transport needs to map its
// names onto the domain's and to check the fields of a request it could read before the
// input can be built (REST's 422 reports every failing field: its own missing keys and
// wrong JSON types with the rules' entries for the rest). Only this package's Forms
// implement it.
type InputForm interface {
	// Fields returns the declared fields in order.
	Fields() []FieldSpec
	// Check validates the fields value reports as given (a non-null string) and reports
	// a null given to a NotNull field; fields neither given nor null are not checked
	// (absence is the transport's concern). It returns the entries in declaration
	// order; normalized, if not nil, receives each valid field's normalized value.
	Check(value func(FieldName) (v string, given, null bool), normalized func(FieldName, string)) []FieldError
	inputForm()
}

// Form declares, once, the fields of the use case input T. Build one with newForm.
type Form[T any] struct {
	specs  []FieldSpec
	access []access[T]
	// whole checks the input as a whole once every field had its own rule
	// (registration's password-equals-identity); value reports a given field's raw value.
	whole func(value func(FieldName) (string, bool), errs []FieldError) []FieldError
}

// access reads and writes one field of a T.
type access[T any] struct {
	get func(*T) (v string, given, null bool)
	set func(*T, string)
}

// field is one line of a Form declaration.
type field[T any] struct {
	spec FieldSpec
	access[T]
}

// text declares a string field (always given: the transport refuses an absent one).
// S is string or a string type such as Role.
func text[T any, S ~string](name FieldName, r rule, at func(*T) *S) field[T] {
	return field[T]{spec: FieldSpec{Name: name, rule: r}, access: access[T]{
		get: func(in *T) (string, bool, bool) { return string(*at(in)), true, false },
		set: func(in *T, v string) { *at(in) = S(v) },
	}}
}

// optional declares an optional string field: nil is absent (null and absent are alike).
func optional[T any](name FieldName, r rule, at func(*T) **string) field[T] {
	return field[T]{spec: FieldSpec{Name: name, rule: r}, access: access[T]{
		get: func(in *T) (string, bool, bool) {
			if p := *at(in); p != nil {
				return *p, true, false
			}
			return "", false, false
		},
		set: func(in *T, v string) { *at(in) = &v },
	}}
}

// omittable declares a field that may be absent, null or a value (Field).
func omittable[T any](name FieldName, r rule, at func(*T) *Field[string]) field[T] {
	return field[T]{spec: FieldSpec{Name: name, rule: r}, access: access[T]{
		get: func(in *T) (string, bool, bool) {
			f := at(in)
			switch {
			case !f.Set:
				return "", false, false
			case f.Value == nil:
				return "", false, true
			}
			return *f.Value, true, false
		},
		set: func(in *T, v string) { at(in).Value = &v },
	}}
}

// notNull marks an optional field that must not be null when given.
func (f field[T]) notNull() field[T] { f.spec.NotNull = true; return f }

// object marks a JSON object field (see FieldSpec.Object).
func (f field[T]) object() field[T] { f.spec.Object = true; return f }

// newForm declares the fields of T in declaration order.
func newForm[T any](fields ...field[T]) *Form[T] {
	f := &Form[T]{}
	for _, fl := range fields {
		f.specs = append(f.specs, fl.spec)
		f.access = append(f.access, fl.access)
	}
	return f
}

// also adds a check of the input as a whole, run once every field had its own rule.
func (f *Form[T]) also(whole func(value func(FieldName) (string, bool), errs []FieldError) []FieldError) *Form[T] {
	f.whole = whole
	return f
}

// Fields returns the declared fields in order.
func (f *Form[T]) Fields() []FieldSpec { return append([]FieldSpec(nil), f.specs...) }

func (f *Form[T]) inputForm() {}

// Validate checks every field of in with its rule, and the input as a whole; on success
// it replaces each field's value by its normalized form (an e-mail address's domain in
// lower case, an organization's name trimmed). It returns a CodeValidation *Error with
// the entries in declaration order, or nil.
func (f *Form[T]) Validate(in *T) error {
	norm := make([]string, len(f.specs))
	errs := f.check(func(i int) (string, bool, bool) { return f.access[i].get(in) },
		func(i int, v string) { norm[i] = v })
	if len(errs) > 0 {
		return ValidationError(errs...)
	}
	for i, a := range f.access {
		if v, given, _ := a.get(in); given && v != norm[i] {
			a.set(in, norm[i])
		}
	}
	return nil
}

// Check implements InputForm.
func (f *Form[T]) Check(value func(FieldName) (v string, given, null bool), normalized func(FieldName, string)) []FieldError {
	return f.check(func(i int) (string, bool, bool) { return value(f.specs[i].Name) },
		func(i int, v string) {
			if normalized != nil {
				normalized(f.specs[i].Name, v)
			}
		})
}

// check runs each field's rule over the values value(i) reports, in declaration order,
// then the whole-input check; put receives each valid field's normalized value.
func (f *Form[T]) check(value func(i int) (v string, given, null bool), put func(i int, v string)) []FieldError {
	var errs []FieldError
	for i, s := range f.specs {
		v, given, null := value(i)
		if !given {
			if null && s.NotNull {
				errs = append(errs, StringType(s.Name, nil))
			}
			continue
		}
		if !utf8.ValidString(v) {
			// Never a silent U+FFFD: two different passwords must not become one.
			errs = append(errs, StringUnicode(s.Name, v))
			continue
		}
		if s.rule == nil {
			put(i, v)
			continue
		}
		nv, fe := s.rule(v)
		if fe != nil {
			if fe.Input == nil {
				fe.Input = v
			}
			if s.Name.Secret() {
				fe.Input = Redacted
			}
			if s.Object {
				fe.Input = nil
			}
			fe.Field = s.Name
			errs = append(errs, *fe)
			continue
		}
		put(i, nv)
	}
	if f.whole != nil {
		errs = f.whole(func(n FieldName) (string, bool) {
			for i, s := range f.specs {
				if s.Name == n {
					v, given, _ := value(i)
					return v, given
				}
			}
			return "", false
		}, errs)
	}
	return errs
}
