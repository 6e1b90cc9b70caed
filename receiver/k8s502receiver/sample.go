package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"fmt"
	"time"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/ingest"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/join"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/podpath"
)

// This file is the receiver's face for cmd/k8s502-doctor: which files a
// configuration tails and what its line path makes of a sample of them, so
// a pre-flight check judges lines with the very parsers the collector runs
// instead of a copy that could drift from them.

// IncludePatterns returns the glob patterns the receiver tails: include, or
// the format's default controller paths when include is empty. The patterns
// for kubelet's rotated files, which the receiver adds to each *.log
// pattern, are not in the list: a node where only rotated files match has no
// running controller to read.
func (c *Config) IncludePatterns() []string {
	g, err := lookupGateway(c.Format)
	if err != nil {
		return c.Include
	}
	return c.include(g)
}

// SampleCounts is what the line path made of a sample of lines.
type SampleCounts struct {
	// Lines is how many lines were fed in.
	Lines int
	// Recognized lines parsed as the gateway's access or error lines,
	// healthy requests and nginx notices included.
	Recognized int
	// Failed lines should have parsed and did not: access lines that do not
	// match log_format (or the format's default), unreadable error lines,
	// broken container framing.
	Failed int
	// Other lines are not the proxy's: the controller's own klog output and
	// other stderr lines, skipped by the receiver as in the collector.
	Other int
	// StdoutRecognized and StdoutFailed count the recognized and failed
	// lines not written to stderr (stdout, or files without container
	// framing): where proxies write their access log. None recognized
	// among many failed means the access log format is wrong, however many
	// error lines parse.
	StdoutRecognized, StdoutFailed int
	// Partial lines are the first parts of a line the container runtime
	// split; the line is judged with its last part.
	Partial int
	// Records is how many records the sample makes: failed, rescued or
	// truncated requests, and error lines whose access line is not in it.
	Records int
	// FirstFailure describes the first failed line: its number in the
	// sample, why it failed and the line itself (cut to 200 bytes).
	FirstFailure string
}

// Add sums b into a, keeping a's first failure if it has one.
func (a *SampleCounts) Add(b SampleCounts) {
	first := a.FirstFailure
	if first == "" {
		first = b.FirstFailure
	}
	a.Lines += b.Lines
	a.Recognized += b.Recognized
	a.Failed += b.Failed
	a.Other += b.Other
	a.StdoutRecognized += b.StdoutRecognized
	a.StdoutFailed += b.StdoutFailed
	a.Partial += b.Partial
	a.Records += b.Records
	a.FirstFailure = first
}

// ParseSample runs lines, read from the file at path (which names the pod
// for the join), through the receiver's line path as configured: framing,
// routing, the format's parser and the access/error join. Each line goes
// through on its own so the receiver's counters tell what became of it.
// The configuration must be valid (Validate).
func (c *Config) ParseSample(path string, lines [][]byte) (SampleCounts, error) {
	g, err := lookupGateway(c.Format)
	if err != nil {
		return SampleCounts{}, fmt.Errorf("format: %w", err)
	}
	zone, err := time.LoadLocation(c.ErrorLogTimezone)
	if err != nil {
		return SampleCounts{}, fmt.Errorf("error_log_timezone: %w", err)
	}
	newParser, err := c.parsers(g, zone)
	if err != nil {
		return SampleCounts{}, err
	}
	wrapper, err := container.ParseFormat(c.Wrapper)
	if err != nil {
		return SampleCounts{}, fmt.Errorf("wrapper: %w", err)
	}
	var out SampleCounts
	joiner := join.New(join.Config{Window: c.Join.Window, Hold: c.Join.Hold, MaxPending: c.Join.MaxPending},
		func(join.Request) { out.Records++ })
	in := ingest.New(ingest.Config{
		Wrapper:     wrapper,
		NewParser:   newParser,
		Watched:     ingest.NewStatuses(c.Statuses),
		MaxLineSize: int(c.MaxLogSize),
	}, joiner)
	src := in.NewSource(podpath.Parse(path).Key)
	src.Path = path
	now := time.Now()
	ct := &in.Counters
	for i, line := range lines {
		out.Lines++
		l, _, ferr := container.Unwrap(wrapper, line, nil)
		stdout := ferr != nil || l.Stream != container.Stderr
		before := snapshot(ct)
		in.Lines(src, [][]byte{line}, now)
		after := snapshot(ct)
		var why string
		switch {
		case after.wrapper > before.wrapper:
			why = "broken container framing (wrapper " + c.Wrapper + ")"
		case after.access > before.access:
			why = "does not match the access log format"
			if c.LogFormat != "" || g.DefaultFormat != "" {
				why = "does not match log_format"
			}
		case after.errors > before.errors:
			why = "an nginx error line that could not be read"
		case after.other > before.other:
			out.Other++
		case after.matched > before.matched || after.notice > before.notice:
			out.Recognized++
			out.StdoutRecognized += b2i(stdout)
		case ferr == nil && l.Partial:
			// The line path holds it back without counting it.
			out.Partial++
		default:
			// Parsed and dropped by the pre-filter: a healthy request, or
			// a proxy's line about nothing that failed.
			out.Recognized++
			out.StdoutRecognized += b2i(stdout)
		}
		if why != "" {
			out.Failed++
			out.StdoutFailed += b2i(stdout)
			if out.FirstFailure == "" {
				out.FirstFailure = fmt.Sprintf("sample line %d %s: %q", i+1, why, cut(line, 200))
			}
		}
	}
	joiner.Flush()
	return out, nil
}

type counts struct{ wrapper, access, errors, other, matched, notice int64 }

func snapshot(c *ingest.Counters) counts {
	return counts{
		wrapper: c.WrapperFailed.Load(),
		access:  c.AccessFailed.Load(),
		errors:  c.ErrorFailed.Load(),
		other:   c.SkippedKlog.Load() + c.SkippedOther.Load(),
		matched: c.LinesMatched.Load(),
		notice:  c.SkippedNotice.Load(),
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cut(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
