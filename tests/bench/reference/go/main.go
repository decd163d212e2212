// Command go-peer parses the reference benchmark corpus with
// github.com/docker/distribution/reference (Debian's golang-github-docker-distribution-dev,
// built in GOPATH mode) and reports what it accepted and how fast.
//
// Usage: go-peer CORPUS [SECONDS] [cpu]
//
// It prints, for Parse and ParseNormalizedNamed, the number of accepted lines, an FNV-1a
// checksum (of the accepted line numbers for Parse, of the normalized strings for
// ParseNormalizedNamed) in the same format as `cargo bench --bench reference -- --count`,
// and then the median (over five rounds) of the mean wall-clock nanoseconds per reference.
// With "cpu" it prints only CPU nanoseconds per reference instead, measured from
// /proc/self/task/*/schedstat (all threads, so garbage collection counts) exactly as the
// Rust bench measures itself with `-- --cpu-time`.
package main

import (
	"bufio"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/distribution/reference"
)

const (
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x00000100000001b3
)

func fnv(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

var sink int

// measure reports the median, over five timed rounds of about seconds/5 each, of the
// mean nanoseconds per reference.
func measure(lines []string, seconds float64, f func(string) bool) float64 {
	for _, s := range lines { // warm up
		if f(s) {
			sink++
		}
	}
	var results []float64
	for round := 0; round < 5; round++ {
		start := time.Now()
		passes := 0
		for {
			for _, s := range lines {
				if f(s) {
					sink++
				}
			}
			passes++
			if time.Since(start).Seconds() >= seconds/5 {
				break
			}
		}
		results = append(results, float64(time.Since(start).Nanoseconds())/float64(passes*len(lines)))
	}
	sort.Float64s(results)
	return results[len(results)/2]
}

// cpuNs is the CPU time of this process (all threads) in nanoseconds.
func cpuNs() int64 {
	paths, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var total int64
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			total += v
		}
	}
	return total
}

// cpuTime passes over the corpus until seconds of CPU time are used; CPU ns per line.
func cpuTime(lines []string, seconds float64, f func(string) bool) float64 {
	for _, s := range lines {
		if f(s) {
			sink++
		}
	}
	start := cpuNs()
	passes := 0
	for {
		for _, s := range lines {
			if f(s) {
				sink++
			}
		}
		passes++
		if float64(cpuNs()-start) >= seconds*1e9 {
			break
		}
	}
	return float64(cpuNs()-start) / float64(passes*len(lines))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-peer CORPUS [SECONDS]")
		os.Exit(2)
	}
	seconds := 4.0
	if len(os.Args) > 2 {
		if v, err := strconv.ParseFloat(os.Args[2], 64); err == nil {
			seconds = v
		}
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	f.Close()

	parse := func(s string) bool {
		_, err := reference.Parse(s)
		return err == nil
	}
	normalize := func(s string) bool {
		_, err := reference.ParseNormalizedNamed(s)
		return err == nil
	}
	if len(os.Args) > 3 && os.Args[3] == "cpu" {
		fmt.Printf("go_parse_cpu_ns=%.1f\n", cpuTime(lines, seconds, parse))
		fmt.Printf("go_normalized_cpu_ns=%.1f\n", cpuTime(lines, seconds, normalize))
		return
	}

	parsed, parsedSum := 0, uint64(fnvOffset)
	normalized, normalizedSum := 0, uint64(fnvOffset)
	for i, s := range lines {
		if _, err := reference.Parse(s); err == nil {
			parsed++
			parsedSum = fnv(parsedSum, strconv.Itoa(i)+"\n")
		}
		if r, err := reference.ParseNormalizedNamed(s); err == nil {
			normalized++
			normalizedSum = fnv(normalizedSum, r.String()+"\n")
		}
	}
	fmt.Printf("lines=%d\n", len(lines))
	fmt.Printf("parse_ok=%d parse_sum=%016x\n", parsed, parsedSum)
	fmt.Printf("normalized_ok=%d normalized_sum=%016x\n", normalized, normalizedSum)

	parseNs := measure(lines, seconds, parse)
	normNs := measure(lines, seconds, normalize)
	fmt.Printf("go_parse_ns=%.1f\n", parseNs)
	fmt.Printf("go_normalized_ns=%.1f\n", normNs)
}
