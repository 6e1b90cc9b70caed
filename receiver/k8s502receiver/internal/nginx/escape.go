package nginx

import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/jsonstr"

// appendUnescapedHex undoes nginx's default access-log escaping (\xHH).
func appendUnescapedHex(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && b[i+1] == 'x' {
			if h, ok := jsonstr.Unhex(b[i+2]); ok {
				if l, ok := jsonstr.Unhex(b[i+3]); ok {
					dst = append(dst, h<<4|l)
					i += 3
					continue
				}
			}
		}
		dst = append(dst, b[i])
	}
	return dst
}
