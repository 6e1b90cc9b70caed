package gateway

import (
	"errors"
	"fmt"
	"time"
)

// Profile is everything the receiver needs to know about one gateway: the
// value of the format option, where its controller pods log, and how its
// lines are read. Each gateway package exports its profile (nginx one per
// variant); the receiver lists them, so adding a gateway is one package or
// one more Profile value.
type Profile struct {
	// Name is the format option's value and the records' k8s502.gateway.
	Name string
	// DefaultInclude is the file selection when include is empty: the
	// controller pods' container logs under the names the projects' Helm
	// charts give them. Empty for a proxy that can run anywhere: include
	// must then be given.
	DefaultInclude []string
	// DefaultFormat is the log_format used when the option is empty. Empty
	// means the parser recognises the proxy's own defaults by itself.
	DefaultFormat string
	// Compile reads the parser options and returns the maker of one
	// parser per log file. Each error starts with the option at fault
	// ("log_format: ...").
	Compile func(Options) (func() Parser, error)
}

// Options are the receiver's settings that shape a parser.
type Options struct {
	// Gateway is the profile's name, for messages.
	Gateway string
	// LogFormat is the access log's format in the proxy's own syntax, the
	// profile's DefaultFormat when the user gave none.
	LogFormat string
	// Escape (log_format_escape) and Variables (variable_attributes) only
	// mean something to nginx's log_format.
	Escape    string
	Variables map[string]string
	// ErrorZone is the zone of error-log times that carry none.
	ErrorZone *time.Location
}

// Parsers applies the profile's default format and compiles o.
func (p *Profile) Parsers(o Options) (func() Parser, error) {
	o.Gateway = p.Name
	if o.LogFormat == "" {
		o.LogFormat = p.DefaultFormat
	}
	return p.Compile(o)
}

// Format is what a parser package compiles a log format into.
type Format interface {
	NewParser() Parser
}

// Compiler makes a Profile's Compile from a parser package's Compile (the
// format string in, a compiled Format out) for proxies whose format string
// is all there is to configure: the nginx-only options are refused.
func Compiler[F Format](compile func(logFormat string) (F, error)) func(Options) (func() Parser, error) {
	return func(o Options) (func() Parser, error) {
		var errs []error
		if o.Escape != "" {
			errs = append(errs, errors.New("log_format_escape: only nginx-based formats have escaping; format is "+o.Gateway))
		}
		if len(o.Variables) > 0 {
			errs = append(errs, errors.New("variable_attributes: only nginx-based formats have variables; format is "+o.Gateway))
		}
		f, err := compile(o.LogFormat)
		if err != nil {
			errs = append(errs, fmt.Errorf("log_format: %w", err))
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return f.NewParser, nil
	}
}
