// Package includes says, for an include pattern that matches no file, what
// the node has where the pattern stops matching: a wrong gateway path is then
// obvious (the doctor prints it; the k8s502 receiver logs it at start).
package includes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// listed bounds how many entries a miss shows; scanned bounds how many a
// miss reads, so a node with thousands of pods is not walked.
const (
	listed  = 8
	scanned = 2000
)

// DescribeMiss says what exists where pattern stops matching: the deepest
// prefix of its segments that matches something, and what those matches
// hold (two levels under the base directory when not even the first
// segment matches: /var/log/pods/<pod>/<container>/).
func DescribeMiss(pattern string) string {
	base, rest := doublestar.SplitPattern(filepath.ToSlash(pattern))
	if fi, err := os.Stat(base); err != nil || !fi.IsDir() {
		up := base
		for up != filepath.Dir(up) {
			up = filepath.Dir(up)
			if fi, err := os.Stat(up); err == nil && fi.IsDir() {
				break
			}
		}
		return fmt.Sprintf("%s does not exist (is the hostPath mounted?); %s holds %s", base, up, listing(up, []string{up}, 1, rest))
	}
	segs := strings.Split(rest, "/")
	deepest, matched := base, []string{base}
	for i := 1; i < len(segs); i++ {
		prefix := filepath.Join(base, filepath.Join(segs[:i]...))
		m, _ := doublestar.FilepathGlob(prefix)
		if len(m) == 0 {
			break
		}
		deepest, matched = prefix, m
	}
	if deepest == base {
		return fmt.Sprintf("%s holds %s", base, listing(base, matched, 2, rest))
	}
	var names []string
	for _, m := range matched {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			m += "/"
		}
		names = append(names, m)
	}
	return fmt.Sprintf("%s matches %s, which hold %s", deepest, Sample(rel(base, names), 3), listing(base, matched, 1, rest))
}

// listing names the entries depth levels under dirs, relative to base,
// those most like the pattern first (the controller among a node's pods).
func listing(base string, dirs []string, depth int, pattern string) string {
	var entries []string
	var firstErr error
	for _, d := range dirs {
		walk(d, depth, &entries, &firstErr)
	}
	if len(entries) == 0 {
		if firstErr != nil {
			return fmt.Sprintf("nothing readable (%v; the agent runs as uid 0 because runtimes write pod logs root-only)", firstErr)
		}
		return "nothing"
	}
	out := rel(base, entries)
	// The directory part of the pattern names the pod and container; its
	// file part (*.log) would favour every log file.
	dirPart, _ := path.Split(pattern)
	words := strings.FieldsFunc(strings.ToLower(dirPart), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	words = append(words, "ingress", "nginx", "haproxy", "traefik", "envoy", "gateway", "controller")
	score := func(s string) (n int) {
		for _, w := range words {
			if len(w) > 2 && strings.Contains(strings.ToLower(s), w) {
				n++
			}
		}
		return n
	}
	sort.SliceStable(out, func(i, j int) bool {
		if si, sj := score(out[i]), score(out[j]); si != sj {
			return si > sj
		}
		return out[i] < out[j]
	})
	return Sample(out, listed)
}

// walk appends the entries depth levels below dir (directories with a
// trailing /), at most scanned of them.
func walk(dir string, depth int, out *[]string, firstErr *error) {
	ents, err := os.ReadDir(dir)
	if err != nil && *firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
		*firstErr = err
	}
	for _, e := range ents {
		if len(*out) >= scanned {
			return
		}
		p := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir && depth > 1:
			before := len(*out)
			walk(p, depth-1, out, firstErr)
			if len(*out) == before {
				*out = append(*out, p+"/")
			}
		case isDir:
			*out = append(*out, p+"/")
		default:
			*out = append(*out, p)
		}
	}
}

func rel(base string, paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		r, err := filepath.Rel(base, p)
		if err != nil || base == "/" {
			r = p
		}
		if strings.HasSuffix(p, "/") && !strings.HasSuffix(r, "/") {
			r += "/"
		}
		out = append(out, r)
	}
	return out
}

// Sample joins the first n items and counts the rest.
func Sample(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, … (%d more)", strings.Join(items[:n], ", "), len(items)-n)
}
