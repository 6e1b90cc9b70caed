package testcri

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Record is one line of a CRI log file.
type Record struct {
	Time    time.Time
	Stream  string // "stdout" or "stderr"
	Partial bool   // tag P
	Msg     string
}

// Read parses a CRI log file written by the harness (or any runtime).
func Read(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var recs []Record
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			// A record still being written; the caller will poll again.
			break
		}
		parts := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 4)
		if len(parts) != 4 || (parts[2] != "P" && parts[2] != "F") {
			return nil, fmt.Errorf("%s:%d: not a CRI record: %.80q", path, i+1, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		recs = append(recs, Record{Time: ts, Stream: parts[1], Partial: parts[2] == "P", Msg: parts[3]})
	}
	return recs, nil
}

// Lines joins the P chunks of one stream with their F record and returns the
// stream's complete lines in order; a trailing unfinished line is left out.
func Lines(recs []Record, stream string) []string {
	var out []string
	var cur strings.Builder
	for _, r := range recs {
		if r.Stream != stream {
			continue
		}
		cur.WriteString(r.Msg)
		if !r.Partial {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}
