//go:build chaos

package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// fillDisk fills the storage directory and returns the check to run when
// space comes back: the collector must have stayed up (no crash, no
// restart) and should have said why it could not write.
func (f *faults) fillDisk(start time.Time, disk *smallDisk, c *collector) func() {
	starts, _, crashes := c.counts()
	logFrom := fileSize(c.log)
	n, err := disk.fill()
	if err != nil {
		f.fail("fill %s: %v", disk.dir, err)
		return nil
	}
	f.note(start, "storage directory full (%d KiB filler)", n>>10)
	return func() {
		if err := disk.free(); err != nil {
			f.fail("free %s: %v", disk.dir, err)
		}
		f.note(start, "storage directory has space again")
		starts2, _, crashes2 := c.counts()
		var errLines []string
		for _, l := range strings.Split(readFrom(c.log, logFrom), "\n") {
			if strings.Contains(l, "\terror\t") || strings.Contains(l, "no space left") {
				errLines = append(errLines, l)
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case len(crashes2) > len(crashes) || starts2 != starts:
			f.errs = append(f.errs, fmt.Sprintf("disk full: %s did not keep running: %v", c.name, crashes2[len(crashes):]))
			f.disk = "crashed"
		case len(errLines) == 0:
			// Nothing needed a new block (bbolt reuses its free pages):
			// not a failure, but the report must not claim an error was seen.
			f.disk = "kept running, logged no error (no write needed new space)"
		default:
			first := errLines[0]
			if len(first) > 300 {
				first = first[:300] + "…"
			}
			f.disk = fmt.Sprintf("kept running, logged %d error lines; first: %s", len(errLines), first)
		}
	}
}

// smallDisk is a tmpfs of a few MiB mounted on the storage directory (root
// only), so the collector's own files can hit ENOSPC.
type smallDisk struct {
	dir    string
	filler string
}

func mountSmallDisk(dir, size string) (*smallDisk, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root: cannot mount a tmpfs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mount tmpfs: %v: %s", err, out)
	}
	return &smallDisk{dir: dir, filler: filepath.Join(dir, "filler")}, nil
}

func (d *smallDisk) unmount() error {
	// Lazy: a collector still closing its files must not keep the mount.
	return syscall.Unmount(d.dir, syscall.MNT_DETACH)
}

// fill writes zeros until the file system is full.
func (d *smallDisk) fill() (int64, error) {
	f, err := os.OpenFile(d.filler, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (d *smallDisk) free() error { return os.Remove(d.filler) }

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func readFrom(path string, off int64) string {
	b, err := os.ReadFile(path)
	if err != nil || off > int64(len(b)) {
		return ""
	}
	return string(b[off:])
}
