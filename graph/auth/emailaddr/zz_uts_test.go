package emailaddr

import (
	"fmt"
	"os"
	"testing"
)

func TestZZUTSDump(t *testing.T) {
	if os.Getenv("EMAILADDR_UTS_OUT") == "" {
		t.Skip()
	}
	f, _ := os.Create(os.Getenv("EMAILADDR_UTS_OUT"))
	defer f.Close()
	for r := rune(0x80); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		m, err := uts46Mapper.ToUnicode(string(r))
		if err != nil {
			fmt.Fprintf(f, "%X X\n", r)
		} else {
			fmt.Fprintf(f, "%X M %q\n", r, m)
		}
	}
}
