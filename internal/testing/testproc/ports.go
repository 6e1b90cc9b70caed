package testproc

import (
	"net"
	"strconv"
	"testing"
)

// FreeAddr returns ip:port with a port nothing listens on right now. Any
// 127.x.y.z address works on Linux because all of 127/8 routes to lo. The
// port can be taken before the caller binds it: see StartRetrying.
func FreeAddr(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("testproc: reserve a port on %s: %v", ip, err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// FreePort is the port of FreeAddr(t, "127.0.0.1"), for programs
// configured with a port number.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t, "127.0.0.1"))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	return n
}

// Addr is "127.0.0.1:<port>".
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
