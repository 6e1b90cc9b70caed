// Package haproxy reads HAProxy's HTTP traffic log, as written to stdout by
// the two HAProxy-based ingress controllers (haproxytech/kubernetes-ingress
// and jcmoraisjr/haproxy-ingress). HAProxy writes no error log: the failure
// is stated on the request line itself (the termination state, the timers,
// the retry count), so every failure is known the moment its line is read
// and nothing has to be joined. The only other input worth reading is the
// health-check state changes ("Server b/s is DOWN, reason: ..."), which
// explain the 503s that name no server at all.
package haproxy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/k8s502/otelcol-k8s502/internal/schema"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// HTTPLogFormat is what `option httplog` expands to in HAProxy 2.6 to 3.x;
// haproxy-ingress uses it unless its ConfigMap sets a log format.
const HTTPLogFormat = `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`

// HAProxyTechFormat is haproxytech/kubernetes-ingress's default log-format.
// It differs from HTTPLogFormat only in its last field, which logs the base
// (Host + path, no query) instead of the request line.
const HAProxyTechFormat = `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs "%HM %[var(txn.base)] %HV"`

// Profile is HAProxy as the receiver's format option selects it. Its pods
// are both controllers' as their Helm charts name them: haproxytech installs
// into haproxy-controller with the container kubernetes-ingress-controller;
// haproxy-ingress installs into ingress-controller with the container
// haproxy-ingress. Without a format string both defaults are read
// (HAProxyTechFormat and HTTPLogFormat).
var Profile = gateway.Profile{
	Name: schema.GatewayHAProxy,
	DefaultInclude: []string{
		"/var/log/pods/haproxy-controller_*/kubernetes-ingress-controller/*.log",
		"/var/log/pods/ingress-controller_haproxy-ingress-*/haproxy-ingress/*.log",
	},
	Compile: gateway.Compiler(Compile),
}

// field is a log-format variable the parser interprets. Variables that
// carry nothing the record uses are still compiled (fIgnore), so that any
// documented format can be read.
type field uint8

const (
	fLiteral field = iota
	fSep
	fIgnore
	fClientIP
	fTime
	fFrontend
	fBackend
	fServer
	fServerIP
	fServerPort
	fTR
	fTw
	fTc
	fTr
	fTa
	fTt
	fStatus
	fBytesRead // %B
	fBytesUploaded
	fTermState // %tsc or %ts
	fRetries
	fCapture // %hr / %hs: "{a|b}" or nothing at all
	fRequest // %r: "GET /p?q HTTP/1.1"
	fMethod
	fURI   // %HU
	fPath  // %HP
	fVer   // %HV
	fBase  // %[base], %[var(txn.base)]: Host + path
	fHost  // %[req.hdr(host)]
	fAgent // %[req.hdr(user-agent)]
	fID    // %ID, %[unique-id]
)

// names maps the log-format variables the parser knows. HAProxy's other
// variables are rejected by name, so a typo does not silently shift fields.
var names = map[string]field{
	"ci": fClientIP, "cp": fIgnore, "tr": fTime, "t": fTime, "trg": fIgnore, "trl": fIgnore,
	"T": fIgnore, "Tl": fIgnore, "Ts": fIgnore, "ms": fIgnore,
	"ft": fFrontend, "f": fFrontend, "fi": fIgnore, "fp": fIgnore,
	"b": fBackend, "s": fServer, "si": fServerIP, "sp": fServerPort, "bi": fIgnore, "bp": fIgnore,
	"TR": fTR, "Tw": fTw, "Tc": fTc, "Tr": fTr, "Ta": fTa, "Tt": fTt, "Th": fIgnore, "Ti": fIgnore,
	"Tq": fIgnore, "Td": fIgnore, "Tu": fIgnore,
	"ST": fStatus, "B": fBytesRead, "U": fBytesUploaded, "CC": fIgnore, "CS": fIgnore,
	"tsc": fTermState, "ts": fTermState,
	"ac": fIgnore, "fc": fIgnore, "bc": fIgnore, "sc": fIgnore, "rc": fRetries, "lc": fIgnore,
	"sq": fIgnore, "bq": fIgnore, "hr": fCapture, "hs": fCapture, "hrl": fIgnore, "hsl": fIgnore,
	"r": fRequest, "HM": fMethod, "HU": fURI, "HP": fPath, "HPO": fPath, "HQ": fIgnore, "HV": fVer,
	"ID": fID, "pid": fIgnore, "H": fIgnore, "rt": fIgnore, "rs": fIgnore,
	"sslc": fIgnore, "sslv": fIgnore, "bytes_in": fIgnore, "bytes_out": fIgnore,
}

// samples maps the sample expressions (%[...]) the parser interprets.
// Other expressions are logged verbatim and skipped.
var samples = map[string]field{
	"base": fBase, "var(txn.base)": fBase,
	"req.hdr(host)": fHost, "hdr(host)": fHost, "req.fhdr(host)": fHost, "var(txn.host)": fHost,
	"req.hdr(user-agent)": fAgent, "req.fhdr(user-agent)": fAgent, "hdr(user-agent)": fAgent,
	"unique-id": fID,
}

// item is one element of a compiled format.
type item struct {
	f      field
	name   string // as written in the format, for messages
	lit    string // fLiteral: text that must appear verbatim
	quoted bool   // +Q: the value is between double quotes
	// stop is the byte that ends the value: the next literal's first byte,
	// ' ' before a separator, 0 when the value runs to the end of the line.
	stop byte
	// spaces: the value may hold spaces (a request line) and ends only at
	// stop.
	spaces bool
	// lastColon: an address followed by ':' (IPv6 holds colons too).
	lastColon bool
}

// Format is a compiled HAProxy log-format. Both default formats are tried
// when the configured one is empty: the controllers differ only in the
// request field, and a receiver may read both.
type Format struct {
	alts []alt
}

// alt is one compiled format with the positions the line path needs.
type alt struct {
	items []item
	// decide is the last item needed to tell whether a line is
	// interesting (status, termination state, retries, server).
	decide int
	// sig is the last item whose mismatch means "not a traffic line at
	// all" rather than "a broken traffic line": up to the date, a line can
	// be any of HAProxy's or the controller's own messages.
	sig int
	// Indexes of the deciding fields; -1 when the format lacks them.
	status, term, retries, server int
}

// Compile checks the configured format string ("" = both controllers'
// defaults) and returns a compiled format.
func Compile(logFormat string) (*Format, error) {
	if strings.TrimSpace(logFormat) == "" {
		f := &Format{}
		for _, s := range []string{HAProxyTechFormat, HTTPLogFormat} {
			items, err := compile(s)
			if err != nil {
				return nil, err
			}
			f.add(items)
		}
		return f, nil
	}
	items, err := compile(logFormat)
	if err != nil {
		return nil, err
	}
	f := &Format{}
	f.add(items)
	return f, nil
}

func (f *Format) add(items []item) {
	a := alt{items: items, sig: -1, status: -1, term: -1, retries: -1, server: -1}
	for i, it := range items {
		switch it.f {
		case fStatus:
			a.status = i
		case fTermState:
			a.term = i
		case fRetries:
			a.retries = i
		case fServer:
			a.server = i
		case fTime:
			if a.sig < 0 {
				a.sig = i
			}
		}
	}
	a.decide = max(a.status, a.term, a.retries, a.server)
	if a.sig < 0 {
		a.sig = a.status
	}
	f.alts = append(f.alts, a)
}

func compile(s string) ([]item, error) {
	var items []item
	var unknown []string
	lit := func(t string) {
		if n := len(items); n > 0 && items[n-1].f == fLiteral {
			items[n-1].lit += t
			return
		}
		items = append(items, item{f: fLiteral, lit: t})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			if n := len(items); n > 0 && items[n-1].f != fSep {
				items = append(items, item{f: fSep})
			}
			continue
		case c == '\\' && i+1 < len(s):
			if s[i+1] == ' ' {
				return nil, errors.New(`an escaped space ("\ ") inside a field is not supported; the parser splits fields on spaces`)
			}
			lit(s[i+1 : i+2])
			i += 2
			continue
		case c == '%' && i+1 < len(s) && s[i+1] == '%':
			lit("%")
			i += 2
			continue
		case c != '%':
			lit(s[i : i+1])
			i++
			continue
		}
		// A variable: %name, %{flags}name or %[sample expression].
		i++
		it := item{}
		if i < len(s) && s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed %%{ at offset %d", i-1)
			}
			for _, flag := range strings.Split(s[i+1:i+end], ",") {
				switch flag {
				case "+Q":
					it.quoted = true
				case "-Q", "+E", "-E", "+M", "-M", "-X", "":
				case "+X":
					return nil, errors.New("the +X flag (hexadecimal numbers) is not supported")
				default:
					return nil, fmt.Errorf("unknown flag %q in %%{%s}", flag, s[i+1:i+end])
				}
			}
			i += end + 1
		}
		if i < len(s) && s[i] == '[' {
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed %%[ at offset %d", i-1)
			}
			expr := strings.TrimSpace(s[i+1 : i+end])
			it.f, it.name = fIgnore, "%["+expr+"]"
			if f, ok := samples[expr]; ok {
				it.f = f
			}
			i += end + 1
			items = append(items, it)
			continue
		}
		j := i
		for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
			j++
		}
		name := s[i:j]
		if name == "" {
			return nil, fmt.Errorf("a %% at offset %d is not followed by a variable name (write %%%% for a literal %%)", i-1)
		}
		f, ok := names[name]
		if !ok {
			unknown = append(unknown, "%"+name)
		}
		it.f, it.name = f, "%"+name
		items = append(items, it)
		i = j
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown log-format variables %s", strings.Join(unknown, ", "))
	}
	if n := len(items); n > 0 && items[n-1].f == fSep {
		items = items[:n-1]
	}
	if !slices.ContainsFunc(items, func(it item) bool { return it.f == fStatus }) {
		return nil, errors.New("the format must log the status code (%ST)")
	}
	for k := range items {
		it := &items[k]
		if it.f == fLiteral || it.f == fSep {
			continue
		}
		it.spaces = it.f == fRequest || it.f == fAgent || it.f == fIgnore
		if k+1 < len(items) {
			switch next := items[k+1]; next.f {
			case fLiteral:
				it.stop = next.lit[0]
				it.lastColon = next.lit[0] == ':' && (it.f == fClientIP || it.f == fServerIP || it.f == fIgnore)
			case fSep:
				it.stop = ' '
			default:
				return nil, fmt.Errorf("%s and %s are written with nothing between them; the parser cannot tell where one ends", it.name, next.name)
			}
		}
		if (it.f == fIgnore || it.f == fAgent) && it.stop == ' ' {
			it.spaces = false
		}
	}
	return items, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
