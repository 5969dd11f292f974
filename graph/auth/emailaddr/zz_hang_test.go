package emailaddr

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZHang(t *testing.T) {
	if os.Getenv("EMAILADDR_HANG") == "" {
		t.Skip()
	}
	var inputs []string
	files, _ := filepath.Glob(os.Getenv("EMAILADDR_HANG") + "/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		inputs = append(inputs, string(b))
	}
	rng := rand.New(rand.NewSource(1))
	pieces := []string{"@", "<", ">", "\"", "\\", ".", "-", "xn--", "a", "é", "\u0301", "\u05d0", " ", "\n", "[", "]", ":", "\xff", "\xc3", "中", "1", "ß"}
	for i := 0; i < 300000; i++ {
		n := rng.Intn(40)
		b := make([]byte, 0, n*2)
		for j := 0; j < n; j++ {
			if rng.Intn(3) == 0 {
				b = append(b, byte(rng.Intn(256)))
			} else {
				b = append(b, pieces[rng.Intn(len(pieces))]...)
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		done := make(chan struct{})
		go func() {
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				fmt.Printf("HANG %q\n", in)
				os.Exit(3)
			}
		}()
		Validate(in)
		close(done)
	}
}
