package container

import "time"

// ParseTime reads the runtime's timestamp. CRI and json-file both write Go's
// RFC3339Nano; a hand-rolled reader would save little here since only kept
// lines need their time.
func ParseTime(b []byte) (time.Time, bool) {
	if len(b) == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
