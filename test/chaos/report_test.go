//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// row is one run's line in the report.
type row struct {
	run                             string
	written, reached, lost, doubled int
	extra                           int // copies beyond the first, over all doubled requests
	kills                           int
	killsBy                         string
	rotations, outages              int
	wall                            time.Duration
	notes                           []string
}

// report collects the rows of every run in this process; TestMain prints it
// and writes it to $CHAOS_REPORT.
var report struct {
	sync.Mutex
	mode string
	rows []row
}

func addRow(t *testing.T, r row) {
	report.Lock()
	report.rows = append(report.rows, r)
	report.Unlock()
	t.Logf("\n%s", table())
}

// table renders the rows so far as Markdown.
func table() string {
	report.Lock()
	defer report.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "chaos (%s)\n\n", report.mode)
	b.WriteString("| run | failed requests written | reached the backend | lost | doubled | SIGKILLs | rotations | outages | wall |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|---:|---:|---:|\n")
	for _, r := range report.rows {
		doubled := fmt.Sprint(r.doubled)
		if r.extra > r.doubled {
			doubled += fmt.Sprintf(" (%d copies)", r.extra)
		}
		kills := fmt.Sprint(r.kills)
		if r.kills > 0 && strings.Contains(r.killsBy, ",") {
			kills += " (" + r.killsBy + ")"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %d | %d | %.0fs |\n",
			r.run, r.written, r.reached, r.lost, doubled, kills, r.rotations, r.outages, r.wall.Seconds())
	}
	for _, r := range report.rows {
		for _, n := range r.notes {
			fmt.Fprintf(&b, "\n- %s: %s", r.run, n)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func TestMain(m *testing.M) {
	report.mode = os.Getenv("K8S502_CHAOS")
	if report.mode == "" {
		report.mode = "short"
	}
	code := m.Run()
	if len(report.rows) > 0 {
		out := table()
		fmt.Print("\n" + out)
		if path := os.Getenv("CHAOS_REPORT"); path != "" {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "CHAOS_REPORT: %v\n", err)
				code = 1
			}
		}
	}
	os.Exit(code)
}
