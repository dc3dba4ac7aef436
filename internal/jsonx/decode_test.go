package jsonx

import (
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// same checks that Decode agrees with encoding/json on data: both fail, or
// both give the same value.
func same(t *testing.T, data []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(data, &want)
	got, err := Decode(data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Decode(%q): err %v, encoding/json: %v", data, err, wantErr)
	}
	if err != nil {
		return
	}
	if reflect.DeepEqual(want, got) {
		// equal
	} else if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Decode(%q) (-encoding/json +jsonx):\n%s", data, diff)
	}
	// Negative zero survives.
	if f, ok := want.(float64); ok && math.Signbit(f) != math.Signbit(got.(float64)) {
		t.Fatalf("Decode(%q) = %v, sign differs from %v", data, got, want)
	}
}

var corpus = []string{
	`null`, `true`, `false`, `0`, `-0`, `-0.0`, `1`, `-17`, `123456789012345`, `1234567890123456789`, `12345678901234567890123`,
	`1.5`, `1e3`, `1E-3`, `-2.5e+10`, `1e400`, `-1e400`, `4.9e-324`, `0.1`,
	`""`, `"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u2028\uD83D\uDE00"`, `"\uD800"`, `"\uD800\u0041"`, `"\uDC00\uD800"`, `"\uD800\uD800\uDC00"`,
	"\"h\xc3\xa9llo\"", "\"bad \xff\xfe utf8\"", "\"bad \xff with \\n escape\"", "\"\xed\xa0\x80\"",
	`[]`, `{}`, ` [ 1 , "a" , null , [ ] , { } ] `, `{"a":1,"a":2}`, `{"k":{"k":{"k":[{"k":"v"}]}}}`,
	"{\"\xff\":1}", `{"a\u0062":2}`,
	// errors
	``, ` `, `[`, `]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{1:2}`, `nul`, `tru`, `falsey`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`"unterminated`, "\"ctl\x01\"", `"\x"`, `"\u12"`, `"\u12G4"`, `"\`, `1 2`, `{} x`, `NaN`, `Infinity`, `'a'`,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range corpus {
		same(t, []byte(s))
	}
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	same(t, []byte(deep))
	ok := strings.Repeat("[", 9999) + strings.Repeat("]", 9999)
	same(t, []byte(ok))
}

func TestErrorsNameTheOffset(t *testing.T) {
	t.Parallel()
	_, err := Decode([]byte(`{"a": [1, 2,, 3]}`))
	if err == nil || err.Error() != "invalid character ',' looking for beginning of value at offset 12" {
		t.Errorf("err = %v", err)
	}
	_, err = Decode([]byte(`{"a": 1`))
	if err == nil || !strings.Contains(err.Error(), "unexpected end") {
		t.Errorf("truncated: err = %v", err)
	}
}

func TestDecodeItems(t *testing.T) {
	t.Parallel()
	items, err := DecodeItems([]byte(`[{"id":1},null,{"id":2}]`))
	if err != nil || len(items) != 2 || items[1]["id"] != 2.0 {
		t.Errorf("DecodeItems = %v, %v", items, err)
	}
	for in, want := range map[string]string{
		`{"id":1}`:     "want a JSON array of objects, got object",
		`[{"id":1},3]`: "element 1 is number, not an object",
		`[[]]`:         "element 0 is array, not an object",
	} {
		if _, err := DecodeItems([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("DecodeItems(%s) = %v, want %q", in, err, want)
		}
	}
}

// Keys are interned: two objects with the same key share its string.
func TestKeysInterned(t *testing.T) {
	t.Parallel()
	d := decoder{data: []byte(`[{"service":1},{"service":2}]`)}
	if _, err := d.value(); err != nil {
		t.Fatal(err)
	}
	if len(d.keys) != 1 {
		t.Errorf("intern table %v, want one key", d.keys)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data) })
}

// DecodeExactInts gives what Decode gives, except integers float64 cannot
// hold exactly, which stay exact as *big.Int.
func TestDecodeExactInts(t *testing.T) {
	t.Parallel()
	bigInt := func(s string) *big.Int {
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatalf("bad big %q", s)
		}
		return b
	}
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`9007199254740992`, float64(1 << 53)}, // 2^53 is exact
		{`-9007199254740992`, float64(-(1 << 53))},
		{`9007199254740993`, bigInt("9007199254740993")},
		{`1234567890123456789`, bigInt("1234567890123456789")},
		{`-1234567890123456789`, bigInt("-1234567890123456789")},
		{`123456789012345678901234567890`, bigInt("123456789012345678901234567890")},
		{`1234567890123456789.0`, 1234567890123456789.0}, // not an integer literal
		{`1.5e300`, 1.5e300},
		{`123456789012345`, float64(123456789012345)},
		{`{"id":1234567890123456789,"n":[7,"x"]}`, map[string]any{"id": bigInt("1234567890123456789"), "n": []any{float64(7), "x"}}},
	} {
		got, err := DecodeExactInts([]byte(tc.in))
		if err != nil {
			t.Fatalf("DecodeExactInts(%s): %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })); diff != "" {
			t.Errorf("DecodeExactInts(%s) (-want +got):\n%s", tc.in, diff)
		}
	}
	// Everything else is Decode's answer, errors included.
	for _, s := range corpus {
		want, wantErr := Decode([]byte(s))
		got, err := DecodeExactInts([]byte(s))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("DecodeExactInts(%q): err %v, Decode: %v", s, err, wantErr)
		}
		if _, isBig := got.(*big.Int); err == nil && !isBig && !reflect.DeepEqual(want, got) {
			t.Errorf("DecodeExactInts(%q) = %v, Decode = %v", s, got, want)
		}
	}
}
