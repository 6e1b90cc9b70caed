package testproc

import (
	"bytes"
	"os"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testcri"
)

// LogPath is the file the process's output goes to: the CRI file or
// Config.LogFile.
func (p *Proc) LogPath() string {
	if p.cfg.CRI != nil {
		return p.cfg.CRI.Path
	}
	return p.cfg.LogFile
}

// Tail returns about the last n bytes of the output, cut at a line start:
// LogFile as written, or a CRI file's records as "stream: message".
func (p *Proc) Tail(n int) string {
	b, err := p.output()
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

func (p *Proc) output() ([]byte, error) {
	if p.cfg.CRI == nil {
		return os.ReadFile(p.cfg.LogFile)
	}
	recs, err := testcri.Read(p.cfg.CRI.Path)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.Stream + ": " + r.Msg + "\n")
	}
	return []byte(b.String()), nil
}
