//go:build chaos

package chaos

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// rotator does what the kubelet's container log manager
// (pkg/kubelet/logs/container_log_manager.go) does to a running container's
// log, in the same order:
//
//  1. every monitor period, stat 0.log; below MaxSize, nothing happens
//     (so files overshoot MaxSize by up to one period of output);
//  2. remove leftovers of an interrupted rotation (*.tmp, and a plain file
//     whose .gz exists);
//  3. remove the oldest rotated files so that at most MaxFiles-2 remain;
//  4. gzip every rotated file not compressed yet (via <name>.tmp, renamed
//     to <name>.gz, then the plain file removed): the newest rotated file
//     stays plain until the *next* rotation, so a tailer can finish it;
//  5. rename 0.log to 0.log.<YYYYMMDD-hhmmss> (local time) and ask the
//     runtime to reopen: a new 0.log appears, the runtime's writes go to
//     the renamed file until then.
//
// With MaxFiles 5 (the kubelet default) a node keeps 0.log, one plain
// rotated file and up to three .gz files.
type rotator struct {
	log      *podLog
	maxSize  int64
	maxFiles int
	// every is the monitor period (containerLogMonitorInterval, 10s by
	// default); shorter here so the short run rotates at its size.
	every time.Duration

	rotations  int
	compressed int
	removed    int
}

const rotatedTimeFormat = "20060102-150405" // the kubelet's timestampFormat

func (r *rotator) run(ctx context.Context) error {
	tk := time.NewTicker(r.every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
		fi, err := os.Stat(r.log.path)
		if err != nil {
			return fmt.Errorf("rotator: %w", err)
		}
		if fi.Size() < r.maxSize {
			continue
		}
		rotated := r.log.path + "." + time.Now().Format(rotatedTimeFormat)
		if exists(rotated) || exists(rotated+".gz") {
			// The kubelet would overwrite it; its 10s period never gets here.
			continue
		}
		if err := r.rotate(rotated); err != nil {
			return fmt.Errorf("rotator: %w", err)
		}
	}
}

func (r *rotator) rotate(rotated string) error {
	logs, err := filepath.Glob(r.log.path + ".*")
	if err != nil {
		return err
	}
	var inUse []string
	for _, l := range logs {
		if strings.HasSuffix(l, ".tmp") || (!strings.HasSuffix(l, ".gz") && slices.Contains(logs, l+".gz")) {
			if err := os.Remove(l); err != nil {
				return err
			}
			continue
		}
		inUse = append(inUse, l)
	}
	sort.Strings(inUse) // oldest first: the timestamps sort
	keep := max(r.maxFiles-2, 0)
	for len(inUse) > keep {
		if err := os.Remove(inUse[0]); err != nil {
			return err
		}
		r.removed++
		inUse = inUse[1:]
	}
	for _, l := range inUse {
		if strings.HasSuffix(l, ".gz") {
			continue
		}
		if err := compress(l); err != nil {
			return err
		}
		r.compressed++
	}
	if err := os.Rename(r.log.path, rotated); err != nil {
		return err
	}
	r.rotations++
	return r.log.reopen()
}

// compress gzips path to path.gz through path.tmp and removes path.
func compress(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // best effort, as the kubelet does
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		_ = out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path+".gz"); err != nil {
		return err
	}
	return os.Remove(path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
