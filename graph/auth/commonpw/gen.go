//go:build ignore

// gen.go builds passwords.txt.gz from SecLists' "10 million password list
// top 1M" (Mark Burnett's 2015 data set). It is run by hand through gen.sh,
// never at build time:
//
//	go run gen.go -n 100000 -min 8 SRC.txt passwords.txt.gz
//
// It walks SRC in rank order (most common first), lowercases each entry with
// strings.ToLower, drops entries shorter than -min code points, keeps the first
// occurrence of each lowercased entry, stops after -n distinct entries, sorts
// them bytewise and writes them one per line, gzip-compressed (no name, no
// modification time, so the output is byte-for-byte reproducible for a given
// Go release).
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

func main() {
	n := flag.Int("n", 100000, "number of distinct entries to keep")
	minLen := flag.Int("min", 8, "drop entries shorter than this many code points")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run gen.go [-n N] [-min M] SRC.txt OUT.txt.gz")
		os.Exit(2)
	}
	in, err := os.Open(flag.Arg(0))
	check(err)
	defer in.Close()

	seen := make(map[string]bool, *n)
	var out []string
	lines, lastRank := 0, 0
	sc := bufio.NewScanner(in)
	for sc.Scan() && len(out) < *n {
		lines++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || !utf8.ValidString(line) {
			continue
		}
		pw := strings.ToLower(line)
		if utf8.RuneCountInString(pw) < *minLen || seen[pw] {
			continue
		}
		seen[pw] = true
		out = append(out, pw)
		lastRank = lines
	}
	check(sc.Err())
	if len(out) < *n {
		fmt.Fprintf(os.Stderr, "warning: only %d entries available\n", len(out))
	}
	slices.Sort(out)

	f, err := os.Create(flag.Arg(1))
	check(err)
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	check(err)
	bw := bufio.NewWriter(zw)
	for _, pw := range out {
		bw.WriteString(pw)
		bw.WriteByte('\n')
	}
	check(bw.Flush())
	check(zw.Close())
	check(f.Close())
	fmt.Fprintf(os.Stderr, "kept %d entries from the first %d lines of %s\n", len(out), lastRank, flag.Arg(0))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
