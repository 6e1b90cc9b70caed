package doctor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/confmap/xconfmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// collectorConfig is the collector configuration as the pod runs it: the
// --config URIs resolved and merged by the collector's own confmap code,
// and the components its pipelines use.
type collectorConfig struct {
	receivers, processors, exporters []component.ID // used in a pipeline, sorted
	// logsExporters are the exporters of logs pipelines: those a log
	// record can test.
	logsExporters map[component.ID]bool
	conf          *confmap.Conf
	// unset are environment variables the config references without a
	// value or default; the collector expands them to "" (and warns).
	unset []string
}

// loadConfig resolves uris the way the collector does: a bare path is a
// file, `${VAR}` and `${env:VAR}` (with `:-default`) expand from the
// environment, `yaml:` and `file:` URIs work, and several are merged in
// order. http(s) URIs are not fetched.
func loadConfig(ctx context.Context, uris []string) (*collectorConfig, error) {
	core, logs := observer.New(zapcore.WarnLevel)
	resolver, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs: uris,
		ProviderFactories: []confmap.ProviderFactory{
			envprovider.NewFactory(), fileprovider.NewFactory(), yamlprovider.NewFactory(),
		},
		ProviderSettings: confmap.ProviderSettings{Logger: zap.New(core)},
		// The collector's default: ${VAR} is ${env:VAR}.
		DefaultScheme: "env",
	})
	if err != nil {
		return nil, err
	}
	conf, err := resolver.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	_ = resolver.Shutdown(ctx)
	c := &collectorConfig{conf: conf}
	for _, e := range logs.All() {
		if name, ok := e.ContextMap()["name"].(string); ok && !slices.Contains(c.unset, name) {
			c.unset = append(c.unset, name)
		}
	}
	sort.Strings(c.unset)
	if err := c.findUsed(); err != nil {
		return nil, err
	}
	return c, nil
}

// findUsed collects the components that service::pipelines use, as the
// collector builds only those; a config without pipelines (a fragment) has
// all of its components checked.
func (c *collectorConfig) findUsed() error {
	var pipelines map[string]struct {
		Receivers  []string `mapstructure:"receivers"`
		Processors []string `mapstructure:"processors"`
		Exporters  []string `mapstructure:"exporters"`
	}
	sub, err := c.conf.Sub("service::pipelines")
	if err != nil {
		return fmt.Errorf("service::pipelines: %w", err)
	}
	if err := sub.Unmarshal(&pipelines, confmap.WithIgnoreUnused()); err != nil {
		return fmt.Errorf("service::pipelines: %w", err)
	}
	used := map[string][]string{}
	logs := map[string]bool{}
	for pid, p := range pipelines {
		used["receivers"] = append(used["receivers"], p.Receivers...)
		used["processors"] = append(used["processors"], p.Processors...)
		used["exporters"] = append(used["exporters"], p.Exporters...)
		if signal, _, _ := strings.Cut(pid, "/"); signal == "logs" {
			for _, e := range p.Exporters {
				logs[e] = true
			}
		}
	}
	c.logsExporters = map[component.ID]bool{}
	for kind, dst := range map[string]*[]component.ID{"receivers": &c.receivers, "processors": &c.processors, "exporters": &c.exporters} {
		names := used[kind]
		if len(pipelines) == 0 {
			names = c.keys(kind)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			var id component.ID
			if err := id.UnmarshalText([]byte(n)); err != nil {
				return fmt.Errorf("%s: %q: %w", kind, n, err)
			}
			*dst = append(*dst, id)
			if kind == "exporters" && (logs[n] || len(pipelines) == 0) {
				c.logsExporters[id] = true
			}
		}
	}
	return nil
}

// keys lists the component IDs configured under kind (receivers, ...).
func (c *collectorConfig) keys(kind string) []string {
	sub, err := c.conf.Sub(kind)
	if err != nil {
		return nil
	}
	var out []string
	for k := range sub.ToStringMap() {
		out = append(out, k)
	}
	return out
}

// section is the configuration of the component id of kind. Its keys may
// hold "::", so it is looked up one level at a time.
func (c *collectorConfig) section(kind string, id component.ID) (*confmap.Conf, error) {
	sub, err := c.conf.Sub(kind)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.keys(kind), id.String()) {
		return nil, fmt.Errorf("%s %s is used in a pipeline but not configured", strings.TrimSuffix(kind, "s"), id)
	}
	return sub.Sub(id.String())
}

// decode fills cfg (a factory's default config) from the component's
// section and validates it, as the collector does before starting it.
func (c *collectorConfig) decode(kind string, id component.ID, cfg component.Config, extra map[string]any) error {
	sub, err := c.section(kind, id)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		if err := sub.Merge(confmap.NewFromStringMap(extra)); err != nil {
			return err
		}
	}
	if err := sub.Unmarshal(&cfg); err != nil {
		return fmt.Errorf("error reading configuration for %q: %w", id, err)
	}
	return xconfmap.Validate(cfg)
}

// str is a string setting of a component, for messages.
func (c *collectorConfig) str(kind string, id component.ID, key string) string {
	sub, err := c.section(kind, id)
	if err != nil {
		return ""
	}
	s, _ := sub.Get(key).(string)
	return s
}
