package emailaddr

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

func TestZZDiffDump(t *testing.T) {
	in := os.Getenv("EMAILADDR_DIFF_IN")
	if in == "" {
		t.Skip()
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := os.Create(os.Getenv("EMAILADDR_DIFF_OUT"))
	defer out.Close()
	w := bufio.NewWriter(out)
	defer w.Flush()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		n, r, ok := Validate(s)
		var res []any
		if ok {
			res = []any{true, n}
		} else {
			res = []any{false, r}
		}
		b, _ := json.Marshal(res)
		w.Write(b)
		w.WriteByte('\n')
	}
}
