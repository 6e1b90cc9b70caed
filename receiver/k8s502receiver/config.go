package k8s502receiver // import "github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer/matcher"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator/helper"
	"go.opentelemetry.io/collector/component"

	"github.com/k8s502/otelcol-k8s502/internal/nop"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/container"
	"github.com/k8s502/otelcol-k8s502/receiver/k8s502receiver/internal/gateway"
)

// Config is the k8s502 receiver's configuration.
type Config struct {
	// include, exclude, exclude_older_than, ordering_criteria: which files to tail.
	matcher.Criteria `mapstructure:",squash"`

	// StartAt is "end" (only new lines) or "beginning" (replay existing files).
	StartAt            string          `mapstructure:"start_at"`
	PollInterval       time.Duration   `mapstructure:"poll_interval"`
	MaxConcurrentFiles int             `mapstructure:"max_concurrent_files"`
	MaxLogSize         helper.ByteSize `mapstructure:"max_log_size"`
	FingerprintSize    helper.ByteSize `mapstructure:"fingerprint_size"`
	// Encoding of the files; utf-8-raw skips UTF-8 validation of every line
	// (nginx escapes access lines to ASCII; records are made valid on output).
	Encoding    string `mapstructure:"encoding"`
	Compression string `mapstructure:"compression"`
	// StorageID names a storage extension (file_storage) where file offsets
	// are checkpointed, so a restart neither loses nor repeats lines.
	StorageID *component.ID `mapstructure:"storage"`

	// Wrapper is the container runtime's framing: auto, cri, docker or plain.
	Wrapper string `mapstructure:"wrapper"`
	// Format names the proxy that wrote the logs: ingress-nginx, nginx,
	// f5-nginx-ingress, haproxy, traefik or envoy. It chooses the parser and
	// the defaults of include and log_format.
	Format string `mapstructure:"format"`
	// LogFormat is the access log's format string in the proxy's own syntax
	// (nginx log_format, HAProxy log-format, Envoy %COMMAND% string); empty
	// means the proxy's default. An nginx format may start with "escape=json ".
	LogFormat string `mapstructure:"log_format"`
	// LogFormatEscape is default, json or none; empty means json when the
	// format looks like a JSON object.
	LogFormatEscape string `mapstructure:"log_format_escape"`
	// VariableAttributes copies more log_format variables into record
	// attributes, {variable name without '$': attribute name}; for example
	// ingress-nginx's per-location $namespace, $ingress_name, $service_name.
	VariableAttributes map[string]string `mapstructure:"variable_attributes"`
	// ErrorLogTimezone is the IANA zone nginx writes error-log times in.
	ErrorLogTimezone string `mapstructure:"error_log_timezone"`

	// Statuses are the final statuses that make a request a record.
	Statuses []int `mapstructure:"statuses"`
	// RedactQuery drops url.query and hides query strings in the body.
	RedactQuery bool `mapstructure:"redact_query"`

	Join JoinConfig `mapstructure:"join"`

	// prevent unkeyed literal initialization
	_ struct{}

	// sendBatch overrides the package's sendBatch (tests that stop the
	// receiver after a number of sends); zero means the default.
	sendBatch int
}

// JoinConfig bounds how error lines and access lines wait for each other.
type JoinConfig struct {
	// Window is how long an error line waits for its access line; with
	// retries nginx logs one error per attempt, up to one timeout apart.
	Window time.Duration `mapstructure:"window"`
	// Hold is how long a failed access line waits for an error line that
	// lost the stdout/stderr race.
	Hold time.Duration `mapstructure:"hold"`
	// MaxPending bounds the lines waiting; beyond it the oldest is emitted
	// early.
	MaxPending int `mapstructure:"max_pending"`
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; every message names the key at fault.
func (c *Config) Validate() error {
	var errs []error
	zone, err := time.LoadLocation(c.ErrorLogTimezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("error_log_timezone: %w", err))
	}
	g, err := lookupGateway(c.Format)
	if err != nil {
		errs = append(errs, fmt.Errorf("format: %w", err))
	} else {
		if len(c.include(g)) == 0 {
			errs = append(errs, fmt.Errorf("include: at least one path pattern is required (format %s has no default)", c.Format))
		}
		if _, err := c.parsers(g, zone); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := container.ParseFormat(c.Wrapper); err != nil {
		errs = append(errs, fmt.Errorf("wrapper: %w", err))
	}
	if len(c.Statuses) == 0 {
		errs = append(errs, errors.New("statuses: at least one status code is required"))
	}
	for _, s := range c.Statuses {
		if s < 100 || s > 599 {
			errs = append(errs, fmt.Errorf("statuses: %d is not an HTTP status code (100-599)", s))
		}
	}
	if c.Join.Window <= 0 {
		errs = append(errs, errors.New("join.window: must be positive"))
	}
	if c.Join.Hold <= 0 {
		errs = append(errs, errors.New("join.hold: must be positive"))
	}
	if c.Join.MaxPending < 1 {
		errs = append(errs, errors.New("join.max_pending: must be at least 1"))
	}
	if c.StartAt != "beginning" && c.StartAt != "end" {
		errs = append(errs, fmt.Errorf("start_at: %q is neither beginning nor end", c.StartAt))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, errors.New("poll_interval: must be positive"))
	}
	if len(errs) == 0 {
		// fileconsumer owns the rules for the tailing options (glob syntax,
		// encodings, sizes); building a manager that is never started is the
		// only way to run them.
		if _, err := c.fileConsumer().Build(nop.Telemetry(), nopEmit); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// include is the file selection: the user's, else the gateway's default.
func (c *Config) include(g gateway.Profile) []string {
	if len(c.Include) > 0 {
		return c.Include
	}
	return g.DefaultInclude
}

// parsers compiles the gateway's parser with the format options; zone is
// error_log_timezone, loaded by the caller. Errors name the option at fault.
func (c *Config) parsers(g gateway.Profile, zone *time.Location) (func() gateway.Parser, error) {
	return g.Parsers(gateway.Options{
		LogFormat: c.LogFormat,
		Escape:    c.LogFormatEscape,
		Variables: c.VariableAttributes,
		ErrorZone: zone,
	})
}

// fileConsumer maps the tailing options onto pkg/stanza's file consumer.
func (c *Config) fileConsumer() fileconsumer.Config {
	fc := fileconsumer.NewConfig()
	fc.Criteria = c.Criteria
	if g, err := lookupGateway(c.Format); err == nil {
		fc.Include = c.include(g)
	}
	fc.Include = withRotated(fc.Include)
	fc.StartAt = c.StartAt
	fc.PollInterval = c.PollInterval
	fc.MaxConcurrentFiles = c.MaxConcurrentFiles
	fc.MaxLogSize = c.MaxLogSize
	fc.FingerprintSize = c.FingerprintSize
	fc.Encoding = c.Encoding
	fc.Compression = c.Compression
	if fc.Compression == "" {
		// kubelet gzips rotated logs: read a file that was compressed
		// before it was read to the end.
		fc.Compression = "auto"
	}
	// The pod's identity comes from the path.
	fc.IncludeFileName = false
	fc.IncludeFilePath = true
	return *fc
}

// withRotated adds, for each pattern of a current log file (*.log), the
// files kubelet rotates it into: 0.log.20261207-161800, then gzipped as
// 0.log.20261207-161800.gz. A file rotated (and compressed) while the
// receiver was behind or down still holds lines past its checkpoint;
// fileconsumer recognises it by the fingerprint of its decompressed start
// and resumes it at the same offset (compression "auto", see fileConsumer).
func withRotated(include []string) []string {
	out := slices.Clone(include)
	for _, p := range include {
		if strings.HasSuffix(p, ".log") && !slices.Contains(include, p+".*") {
			out = append(out, p+".*")
		}
	}
	return out
}

func nopEmit(context.Context, [][]byte, map[string]any, int64, []int64) error { return nil }
