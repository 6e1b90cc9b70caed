package doctor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"

	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"
)

// bannerLines is how many stdout lines may fail without any parsing
// before the access log format is called wrong: a controller that has
// served nothing yet has only its startup banner there (8 lines for
// ingress-nginx).
const bannerLines = 10

// maxTail bounds the bytes read from the end of one file for its sample:
// ingress-nginx lines are a few hundred bytes; a longer stretch means lines
// the receiver would cut anyway.
const maxTail = 8 << 20

// checkParse feeds the newest lines of the newest matched files through the
// receiver's own line path (k8s502receiver.Config.ParseSample) and says how
// many the configured format recognizes. Rotated, gzipped files are left
// out: the newest lines are in the file being written.
func checkParse(id component.ID, cfg *k8s502receiver.Config, files []string, o Options) Result {
	name := check("parse", id)
	type file struct {
		path string
		mod  int64
	}
	var cands []file
	for _, f := range files {
		if strings.HasSuffix(f, ".gz") {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return Result{Fail, name, fmt.Sprintf("cannot read %s: %v", f, err)}
		}
		cands = append(cands, file{f, fi.ModTime().UnixNano()})
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].mod > cands[j].mod })
	if len(cands) > o.SampleFiles {
		cands = cands[:o.SampleFiles]
	}
	var total k8s502receiver.SampleCounts
	for _, f := range cands {
		lines, err := tail(f.path, o.SampleLines)
		if err != nil {
			return Result{Fail, name, fmt.Sprintf("cannot read %s: %v (the agent runs as uid 0 because runtimes write pod logs root-only)", f.path, err)}
		}
		got, err := cfg.ParseSample(f.path, lines)
		if err != nil {
			return Result{Fail, name, err.Error()}
		}
		if got.FirstFailure != "" && len(cands) > 1 {
			got.FirstFailure = "in " + f.path + ", " + got.FirstFailure
		}
		total.Add(got)
	}
	format := cfg.Format
	if cfg.LogFormat != "" {
		format += " with the configured log_format"
	}
	if len(cands) == 0 {
		return Result{Warn, name, "only compressed rotated files match: no current log to sample"}
	}
	detail := fmt.Sprintf("%d newest lines of %s read (format %s): %d recognized as the gateway's access/error lines, %d failed to parse, %d other (controller/klog output)",
		total.Lines, plural(len(cands), "file"), format, total.Recognized, total.Failed, total.Other)
	if total.Partial > 0 {
		detail += fmt.Sprintf(", %d parts of split lines", total.Partial)
	}
	detail += fmt.Sprintf("; %d records (failed, rescued or truncated requests)", total.Records)
	if total.FirstFailure != "" {
		detail += "; first failure: " + total.FirstFailure
	}
	switch {
	case total.Lines == 0:
		return Result{Warn, name, "the matched files are empty (no traffic yet?): nothing to parse"}
	case total.Recognized == 0 || total.Failed > total.Recognized || total.StdoutRecognized == 0 && total.StdoutFailed > bannerLines:
		return Result{Fail, name, detail + "; check format and log_format against the controller's log format (the receiver's README, § Gateways)"}
	case total.Failed > 0:
		return Result{Warn, name, detail}
	}
	return Result{Pass, name, detail}
}

// tail returns the last n complete lines of path. A line still being
// written (no newline yet) is left for the receiver's next read, as
// fileconsumer leaves it.
func tail(path string, n int) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	const chunk = 64 << 10
	var buf []byte
	start := size
	for start > 0 && bytes.Count(buf, []byte("\n")) <= n && size-start < maxTail {
		step := min(int64(chunk), start)
		start -= step
		b := make([]byte, step)
		if _, err := f.ReadAt(b, start); err != nil {
			return nil, err
		}
		buf = append(b, buf...)
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	} else {
		return nil, nil
	}
	lines := bytes.Split(buf, []byte("\n"))
	if start > 0 {
		lines = lines[1:] // the first is cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}
