package testnginx

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// confHas reports each piece of the rendered nginx.conf that a layout test
// expects and conf lacks.
func confHas(t *testing.T, conf []byte, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(string(conf), want) {
			t.Errorf("nginx.conf lacks %q:\n%s", want, conf)
		}
	}
}

// accessLine matches one access line against a layout's format (re's groups
// 1, 4 and 5 are the client, the request line and the status) and reports
// a line that does not match or names another client, request or status.
// It returns the groups, nil when the line did not match at all.
func accessLine(t *testing.T, re *regexp.Regexp, format, line, client, path string, status int) []string {
	t.Helper()
	m := re.FindStringSubmatch(line)
	if m == nil {
		t.Errorf("not a %s line: %q", format, line)
		return nil
	}
	if m[1] != client || m[4] != "GET "+path+" HTTP/1.1" || m[5] != strconv.Itoa(status) {
		t.Errorf("access line %q: want client %s, request %s, status %d", line, client, path, status)
	}
	return m
}

// accessLines waits for the access lines of the n requests a test sent and
// stops it unless exactly n arrived.
func accessLines(t *testing.T, ng *Nginx, n int) []string {
	t.Helper()
	lines := ng.WaitRequests(t)
	if len(lines) != n {
		t.Fatalf("got %d access lines, want %d:\n%s", len(lines), n, strings.Join(lines, "\n"))
	}
	return lines
}
