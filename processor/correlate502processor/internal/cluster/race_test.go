//go:build race

package cluster

// raceEnabled: the race detector slows decoding tenfold, so the memory test
// measures fewer pods.
const raceEnabled = true
