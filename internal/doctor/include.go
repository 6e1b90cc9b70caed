package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.opentelemetry.io/collector/component"

	"github.com/k8s502/otelcol-k8s502/internal/includes"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// checkInclude matches the receiver's include patterns as fileconsumer does
// (doublestar globs, files only, minus exclude) and returns the files. A
// pattern that matches nothing is described by what the node has where it
// stops matching: that is where a wrong namespace or container name shows.
func checkInclude(id component.ID, cfg *k8s502receiver.Config) (Result, []string) {
	name := check("include", id)
	var files, misses []string
	perPattern := map[string]int{}
	for _, p := range cfg.IncludePatterns() {
		matches, err := doublestar.FilepathGlob(p, doublestar.WithFilesOnly())
		if err != nil {
			return Result{Fail, name, fmt.Sprintf("%q: %v", p, err)}, nil
		}
		kept := slices.DeleteFunc(matches, func(f string) bool { return excluded(f, cfg.Exclude) })
		switch {
		case len(kept) == 0 && len(matches) > 0:
			misses = append(misses, fmt.Sprintf("%q matches %d files, all excluded by exclude %q", p, len(matches), cfg.Exclude))
		case len(kept) == 0:
			misses = append(misses, fmt.Sprintf("%q matches no file; %s", p, includes.DescribeMiss(p)))
		}
		perPattern[p] = len(kept)
		files = append(files, kept...)
	}
	slices.Sort(files)
	files = slices.Compact(files)
	if len(files) == 0 {
		return Result{Fail, name, strings.Join(misses, "; ") +
			" (on a node without a controller pod this is expected: run the doctor in the agent pod next to the controller, kubectl get pods -A -o wide shows where)"}, nil
	}
	detail := fmt.Sprintf("%s: %s", plural(len(files), "file"), includes.Sample(files, 3))
	if len(misses) > 0 {
		return Result{Warn, name, detail + "; but " + strings.Join(misses, "; ")}, files
	}
	return Result{Pass, name, detail}, files
}

func excluded(path string, patterns []string) bool {
	for _, e := range patterns {
		if ok, _ := doublestar.PathMatch(e, path); ok {
			return true
		}
	}
	return false
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
