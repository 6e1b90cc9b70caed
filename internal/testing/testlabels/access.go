package testlabels

import (
	"fmt"
	"net"
	"strings"
)

// Attempts is what ingress-nginx's access line says about one request's
// tries: the peer of each ($upstream_addr) and its status
// ($upstream_status), in order. A peer may be the upstream group's name
// (nginx found no live peer), not an address.
type Attempts struct {
	RequestID string
	Peers     []string
	Statuses  []string
}

// ParseAccess reads the upstream fields of an access line in ingress-nginx's
// default format (…[$proxy_upstream_name] [$proxy_alternative_upstream_name]
// $upstream_addr $upstream_response_length $upstream_response_time
// $upstream_status $req_id). The labels take the pods a request failed on
// from what nginx itself logged, not from the record the processor judged.
func ParseAccess(line string) (Attempts, error) {
	i := strings.LastIndex(line, "] ")
	if i < 0 {
		return Attempts{}, fmt.Errorf("no [$proxy_alternative_upstream_name] in %q", line)
	}
	// Each field after it is a list joined by ", " (retries) or " : "
	// (internal redirects); a token ending in "," or a lone ":" continues
	// the field.
	var fields [][]string
	cont := false
	for _, tok := range strings.Fields(line[i+2:]) {
		if tok == ":" {
			cont = true
			continue
		}
		v := strings.TrimSuffix(tok, ",")
		if cont && len(fields) > 0 {
			fields[len(fields)-1] = append(fields[len(fields)-1], v)
		} else {
			fields = append(fields, []string{v})
		}
		cont = v != tok
	}
	if len(fields) != 5 || len(fields[4]) != 1 {
		return Attempts{}, fmt.Errorf("want addresses, lengths, times, statuses and a request id after the upstream names in %q", line)
	}
	a := Attempts{Peers: fields[0], Statuses: fields[3], RequestID: fields[4][0]}
	if len(a.Peers) != len(a.Statuses) {
		return Attempts{}, fmt.Errorf("%d peers but %d statuses in %q", len(a.Peers), len(a.Statuses), line)
	}
	return a, nil
}

// Failed are the addresses (ip:port) of the attempts that failed: those
// nginx logged 502, 503 or 504 (or "-") for. An upstream group's name is
// no address and is left out.
func (a Attempts) Failed() []string {
	var out []string
	for i, p := range a.Peers {
		if host, _, err := net.SplitHostPort(p); err != nil || net.ParseIP(host) == nil {
			continue
		}
		switch a.Statuses[i] {
		case "502", "503", "504", "-":
			out = append(out, p)
		}
	}
	return out
}
