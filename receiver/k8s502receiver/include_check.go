package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"github.com/bmatcuk/doublestar/v4"
	"go.uber.org/zap"

	"github.com/k8s502/otelcol-k8s502/internal/includes"
)

// warnEmptyIncludes logs, at start, every include pattern that matches no
// file, with what the node has where the pattern stops matching. A wrong
// gateway path (another namespace, container or gateway than the profile
// says) otherwise reads nothing in silence. Only a warning: on a node that
// runs no controller pod, matching nothing is right.
func (r *k8s502Receiver) warnEmptyIncludes() {
	for _, p := range r.cfg.Include {
		m, err := doublestar.FilepathGlob(p, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
		if err == nil && len(m) > 0 {
			continue
		}
		fields := []zap.Field{zap.String("pattern", p), zap.String("found", includes.DescribeMiss(p))}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		r.set.Logger.Warn("include pattern matches no file (expected on a node without a controller pod; otherwise check format and include, e.g. the gateway profile)", fields...)
	}
}
