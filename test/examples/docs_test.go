package examples_test

// Docs that run: every fenced ```yaml (```yml) block in the repository's Markdown is checked
// as what it shows, and the repository paths, make targets and collector invocations in its
// shell blocks and inline commands exist and validate. Subtests are named file:line (the
// opening fence), so a failure says where.
//
// What each kind of YAML snippet is held to:
//
//   - collector config (top-level keys among receivers, processors, exporters, connectors,
//     extensions, service): `otelcol-k8s502 validate` with the built binary. The snippet's text
//     is given unchanged as a --config file; a fragment of a shipped config (docConfigBase) comes
//     after that config; a component no pipeline uses is put into the smallest extra pipeline by a
//     further --config file (docWrap), so that it is built and checked too.
//   - Kubernetes objects (every document has apiVersion and kind): client-go's typed objects,
//     strictly (unknown and duplicate fields fail); kustomize's Kustomization/Component strictly
//     into kustomize's own type, then rendered with kustomize (this repository's remote bases and
//     components read from this checkout); the Prometheus Operator's PrometheusRule,
//     ServiceMonitor and PodMonitor strictly into the subsets alerts_test.go and
//     monitoring_test.go know; any other CRD: well-formed YAML with apiVersion, kind and
//     metadata.name.
//   - Helm values (a README under examples/helm, or top-level image/mode/config/presets): the keys
//     are the chart's (checkKeys), a partial snippet is layered over the shipped values file it
//     belongs to (docValuesBase), the `config` is rendered as chartConfig does and validated as
//     above.
//   - anything else: well-formed YAML (no duplicate keys); listed in the test log.
//
// A snippet that is deliberately not valid is marked right before its fence with
//
//	<!-- not validated: <reason> -->
//
// and skipped with the reason in the log. An untagged block that is a collector config or a
// manifest fails: it would escape the checks.
//
// Shell blocks (```sh, bash, shell, console) run from the repository root: a path whose first
// component is a root entry (the values of -f/--config/-k and, until a cd, any argument) must
// exist, `make X` must be a Makefile target, and `otelcol-k8s502 --config ...` on repository
// files is validated with the built binary and the line's variables. Commands in the prose's
// `code spans` get the same checks on their -f/--config/-k values.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/k8s502/otelcol-k8s502/internal/testing/testproc"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// docConfigBase: collector snippets that are fragments of a shipped config, by Markdown file.
// The doc says which config the fragment goes on; the snippet is given after it as a second
// --config (maps merge, lists replace).
var docConfigBase = map[string]func(t *testing.T) string{
	// "The fragment examples/metrics/connector.yaml adds it to the gateway config".
	"connector/k8s502metricsconnector/README.md": gatewayConfigText,
}

// docValuesBase: partial Helm values snippets (no `mode`), by Markdown file: the shipped values
// file (examples/helm) the doc says to put them in. Helm merges them over it.
var docValuesBase = map[string]string{
	// "put the same keys under config.receivers.k8s502 in values-daemonset.yaml".
	"examples/gateways/README.md": "values-daemonset.yaml",
}

// docReceiverSignals, docConnectorSignals: the pipeline a component docWrap adds goes by its
// type; receivers and processors not listed go into a logs pipeline, exporters by the
// *_endpoint they set.
var docReceiverSignals = map[string]string{
	"k8s502": "logs", "k8s_objects": "logs", "file_log": "logs", "otlp": "logs",
	"k8s_cluster": "metrics", "kubeletstats": "metrics", "host_metrics": "metrics",
}

var docConnectorSignals = map[string][2]string{
	"k8s502metrics": {"logs", "metrics"},
}

var collectorKeys = []string{"receivers", "processors", "exporters", "connectors", "extensions", "service"}

var notValidatedMarker = regexp.MustCompile(`^\s*<!--\s*not validated\b(.*?)-->\s*$`)

type snippet struct {
	file string // slash-separated, relative to the repository root
	line int    // of the opening fence, 1-based
	lang string // the info string's first word, lower case
	text string // the content, with the fence's indentation removed
	skip string // the reason of a <!-- not validated: ... --> marker right before the fence
}

func (s snippet) name() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

// inlineCode is a `code span` of the prose that starts like a command.
type inlineCode struct {
	file, text string
	line       int
}

// markdownFiles lists the repository's Markdown, except the generated documentation.md files
// and what is not part of the repository (_build, hidden directories).
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "_build" || d.Name() == "node_modules" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") && d.Name() != "documentation.md" {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

var (
	fenceOpen  = regexp.MustCompile("^( *)(```+|~~~+)[ \t]*([^ \t`{]*)")
	codeSpan   = regexp.MustCompile("`([^`]+)`")
	inlineCmds = []string{"kubectl", "helm", "make", "otelcol-k8s502", "go", "bash", "kustomize", "docker", "crane", "skopeo"}
)

// parseMarkdown returns the fenced blocks, the inline commands and the problems of one file:
// an unterminated fence, a not-validated marker without a reason or not right before a fence.
func parseMarkdown(file string, data []byte) (blocks []snippet, inline []inlineCode, problems []string) {
	lines := strings.Split(string(data), "\n")
	markers := map[int]string{} // line index -> reason
	usedMarker := map[int]bool{}
	lastNonBlank := -1
	var para []string
	paraStart := 0
	flushPara := func() {
		text := strings.Join(para, "\n")
		for _, m := range codeSpan.FindAllStringSubmatchIndex(text, -1) {
			code := strings.Join(strings.Fields(text[m[2]:m[3]]), " ")
			first, _, _ := strings.Cut(code, " ")
			if !strings.Contains(code, " ") || !(slices.Contains(inlineCmds, first) || strings.HasPrefix(first, "_build/")) {
				continue
			}
			inline = append(inline, inlineCode{file: file, text: code, line: paraStart + 1 + strings.Count(text[:m[0]], "\n")})
		}
		para = nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		m := fenceOpen.FindStringSubmatch(line)
		if m == nil {
			if mm := notValidatedMarker.FindStringSubmatch(line); mm != nil {
				reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(mm[1]), ":"))
				if reason == "" {
					problems = append(problems, fmt.Sprintf("%s:%d: <!-- not validated --> without a reason (<!-- not validated: why -->)", file, i+1))
				}
				markers[i] = reason
			}
			if strings.TrimSpace(line) == "" {
				flushPara()
			} else {
				if para == nil {
					paraStart = i
				}
				para = append(para, line)
				lastNonBlank = i
			}
			continue
		}
		flushPara()
		indent, marker := len(m[1]), m[2]
		b := snippet{file: file, line: i + 1, lang: strings.ToLower(m[3])}
		if reason, ok := markers[lastNonBlank]; ok && lastNonBlank >= 0 {
			b.skip = reason
			usedMarker[lastNonBlank] = true
		}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			l := lines[i]
			trimmed := strings.TrimLeft(l, " ")
			if strings.HasPrefix(trimmed, marker) && strings.Trim(trimmed, marker[:1]+" \t") == "" {
				closed = true
				break
			}
			// Remove the fence's own indentation (a fence in a list item).
			n := 0
			for n < indent && n < len(l) && l[n] == ' ' {
				n++
			}
			body = append(body, l[n:])
		}
		if !closed {
			problems = append(problems, fmt.Sprintf("%s:%d: the fence is never closed", file, b.line))
		}
		b.text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
		lastNonBlank = i
	}
	flushPara()
	for i := range markers {
		if !usedMarker[i] {
			problems = append(problems, fmt.Sprintf("%s:%d: <!-- not validated: ... --> is not right before a fence", file, i+1))
		}
	}
	sort.Strings(problems)
	return blocks, inline, problems
}

// docSnippets reads every Markdown file's blocks; with report, the files' problems (a fence
// not closed, a misplaced or reasonless marker) are errors.
func docSnippets(t *testing.T, root string, report bool) (blocks []snippet, inline []inlineCode) {
	t.Helper()
	for _, f := range markdownFiles(t, root) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		b, in, problems := parseMarkdown(f, data)
		for _, p := range problems {
			if report {
				t.Error(p)
			}
		}
		blocks = append(blocks, b...)
		inline = append(inline, in...)
	}
	return blocks, inline
}

// snippetDocs splits a YAML snippet into its documents, as JSON; duplicate keys are errors.
func snippetDocs(text string) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	var docs [][]byte
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "" {
			continue
		}
		docs = append(docs, js)
	}
	if len(docs) == 0 {
		return nil, errors.New("no YAML in the block")
	}
	return docs, nil
}

const (
	kindCollector  = "collector config"
	kindKubernetes = "Kubernetes object"
	kindHelm       = "Helm values"
	kindOther      = "other YAML"
)

func classifySnippet(file string, docs [][]byte) (string, []map[string]any) {
	var maps []map[string]any
	for _, js := range docs {
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return kindOther, nil // a list or a scalar
		}
		maps = append(maps, m)
	}
	k8s := true
	for _, m := range maps {
		if _, ok := m["apiVersion"].(string); !ok {
			k8s = false
		}
		if _, ok := m["kind"].(string); !ok {
			k8s = false
		}
	}
	if k8s {
		return kindKubernetes, maps
	}
	if len(maps) != 1 {
		return kindOther, maps
	}
	collector, helm := true, strings.HasPrefix(file, "examples/helm/")
	for k := range maps[0] {
		if !slices.Contains(collectorKeys, k) {
			collector = false
		}
		if slices.Contains([]string{"image", "mode", "config", "presets"}, k) {
			helm = true
		}
	}
	switch {
	case collector:
		return kindCollector, maps
	case helm:
		return kindHelm, maps
	}
	return kindOther, maps
}

func TestDocSnippets(t *testing.T) {
	root := testproc.RepoRoot(t)
	blocks, _ := docSnippets(t, root, true)
	counts := map[string]int{}
	var others, skipped []string
	for _, b := range blocks {
		if b.lang == "" && b.skip == "" {
			// An untagged block that is a config or a manifest would escape this test.
			if docs, err := snippetDocs(b.text); err == nil {
				if kind, _ := classifySnippet(b.file, docs); kind == kindCollector || kind == kindKubernetes {
					t.Errorf("%s: an untagged block holds a %s: tag it ```yaml so that it is validated", b.name(), kind)
				}
			}
		}
		if b.lang != "yaml" && b.lang != "yml" {
			continue
		}
		counts["yaml"]++
		if b.skip != "" {
			skipped = append(skipped, b.name()+" ("+b.skip+")")
			t.Run(b.name(), func(t *testing.T) { t.Skipf("not validated: %s", b.skip) })
			continue
		}
		docs, err := snippetDocs(b.text)
		if err != nil {
			t.Run(b.name(), func(t *testing.T) {
				t.Fatalf("not valid YAML (its line 1 is the one after the fence): %v\n%s", err, b.text)
			})
			continue
		}
		kind, maps := classifySnippet(b.file, docs)
		counts[kind]++
		t.Run(b.name(), func(t *testing.T) {
			t.Parallel()
			switch kind {
			case kindCollector:
				checkCollectorSnippet(t, b)
			case kindKubernetes:
				checkKubernetesSnippet(t, root, docs, maps)
			case kindHelm:
				checkHelmSnippet(t, b, maps[0])
			default:
				t.Logf("%s: %s, only parsed", b.name(), kind)
			}
		})
		if kind == kindOther {
			others = append(others, b.name())
		}
	}
	if counts["yaml"] == 0 {
		t.Fatal("no ```yaml block in the repository's Markdown: is the walk broken?")
	}
	t.Logf("%d YAML snippets: %s %d, %s %d, %s %d, %s %d, not validated %d",
		counts["yaml"], kindCollector, counts[kindCollector], kindKubernetes, counts[kindKubernetes],
		kindHelm, counts[kindHelm], kindOther, counts[kindOther], len(skipped))
	if len(others) > 0 {
		t.Logf("%s (parsed only): %s", kindOther, strings.Join(others, ", "))
	}
	if len(skipped) > 0 {
		t.Logf("not validated: %s", strings.Join(skipped, "; "))
	}
}

// checkCollectorSnippet validates a collector config snippet with the built collector.
func checkCollectorSnippet(t *testing.T, b snippet) {
	var files []string
	var env map[string]string
	merged := parseYAMLMap(t, b.name(), []byte(b.text))
	if baseOf, ok := docConfigBase[b.file]; ok {
		base := baseOf(t)
		files = append(files, writeTemp(t, "base.yaml", []byte(base)))
		merged = mergeOverwrite(parseYAMLMap(t, "base", []byte(base)), merged)
		env = envFor(t, base, nil)
	}
	if env == nil {
		env = map[string]string{}
	}
	for k, v := range envFor(t, b.text, nil) {
		env[k] = v
	}
	files = append(files, writeTemp(t, "snippet.yaml", []byte(b.text)))
	validateWrapped(t, b.name(), merged, env, files)
}

// validateWrapped validates files (whose merge is merged) with the built collector, after the
// smallest wrap that puts every component in a pipeline.
func validateWrapped(t *testing.T, what string, merged map[string]any, env map[string]string, files []string) {
	t.Helper()
	if undefined := undefinedRefs(merged); len(undefined) > 0 {
		t.Errorf("%s: the pipelines name components the snippet does not define: %s (a fragment of a shipped config? name that config in docConfigBase)",
			what, strings.Join(undefined, ", "))
	}
	wrap, notes, err := docWrap(merged)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if wrap != nil {
		data, err := yaml.Marshal(wrap)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: wrapped: %s", what, strings.Join(notes, "; "))
		files = append(files, writeTemp(t, "wrap.yaml", data))
	}
	validateConfig(t, collectorBinary(t), t.TempDir(), env, files...)
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys(v any) []string {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func componentType(id string) string { typ, _, _ := strings.Cut(id, "/"); return typ }

// undefinedRefs lists the components the pipelines and service.extensions name but the config
// does not define.
func undefinedRefs(cfg map[string]any) []string {
	defined := func(kinds ...string) func(string) bool {
		return func(id string) bool {
			for _, k := range kinds {
				if _, ok := dig(cfg, k, id).(map[string]any); ok {
					return true
				}
				if m, ok := cfg[k].(map[string]any); ok {
					if _, ok := m[id]; ok { // `k8s502metrics:` with no settings
						return true
					}
				}
			}
			return false
		}
	}
	var out []string
	pipelines, _ := dig(cfg, "service", "pipelines").(map[string]any)
	for _, name := range sortedKeys(pipelines) {
		p, _ := pipelines[name].(map[string]any)
		for _, c := range []struct {
			key string
			ok  func(string) bool
		}{
			{"receivers", defined("receivers", "connectors")},
			{"processors", defined("processors")},
			{"exporters", defined("exporters", "connectors")},
		} {
			for _, id := range stringList(p[c.key]) {
				if !c.ok(id) {
					out = append(out, fmt.Sprintf("%s %s of pipeline %s", strings.TrimSuffix(c.key, "s"), id, name))
				}
			}
		}
	}
	for _, id := range stringList(dig(cfg, "service", "extensions")) {
		if !defined("extensions")(id) {
			out = append(out, "extension "+id)
		}
	}
	return out
}

// docWrap returns the smallest config to merge after cfg so that every component cfg defines
// is used: receivers, processors and exporters no pipeline names go into new pipelines
// <signal>/docs (with an otlp/docs receiver or a debug/docs exporter where one is missing),
// connectors into the pipelines of their two signals, extensions into service.extensions.
// nil when everything is used already.
func docWrap(cfg map[string]any) (map[string]any, []string, error) {
	used := map[string]map[string]bool{"receivers": {}, "processors": {}, "exporters": {}}
	pipelines, _ := dig(cfg, "service", "pipelines").(map[string]any)
	for _, p := range pipelines {
		pm, _ := p.(map[string]any)
		for kind := range used {
			for _, id := range stringList(pm[kind]) {
				used[kind][id] = true
			}
		}
	}
	type pipe struct{ receivers, processors, exporters []string }
	added := map[string]*pipe{}
	get := func(name string) *pipe {
		if added[name] == nil {
			added[name] = &pipe{}
		}
		return added[name]
	}
	var notes []string
	for _, id := range sortedKeys(cfg["receivers"]) {
		if !used["receivers"][id] {
			sig, ok := docReceiverSignals[componentType(id)]
			if !ok {
				sig = "logs"
			}
			p := get(sig + "/docs")
			p.receivers = append(p.receivers, id)
		}
	}
	for _, id := range sortedKeys(cfg["processors"]) {
		if !used["processors"][id] {
			p := get("logs/docs")
			p.processors = append(p.processors, id)
		}
	}
	for _, id := range sortedKeys(cfg["exporters"]) {
		if !used["exporters"][id] {
			sig := "logs"
			for _, s := range []string{"logs", "metrics", "traces"} {
				if dig(cfg, "exporters", id, s+"_endpoint") != nil {
					sig = s
					break
				}
			}
			p := get(sig + "/docs")
			p.exporters = append(p.exporters, id)
		}
	}
	for _, id := range sortedKeys(cfg["connectors"]) {
		sigs, ok := docConnectorSignals[componentType(id)]
		if !ok {
			return nil, nil, fmt.Errorf("connector %s: add its signals to docConnectorSignals", id)
		}
		if !used["exporters"][id] {
			p := get(sigs[0] + "/docs")
			p.exporters = append(p.exporters, id)
		}
		if !used["receivers"][id] {
			out := sigs[1] + "/docs"
			if sigs[0] == sigs[1] {
				out = sigs[1] + "/docs_out"
			}
			p := get(out)
			p.receivers = append(p.receivers, id)
		}
	}
	if len(pipelines) == 0 && len(added) == 0 {
		get("logs/docs")
	}
	wrap := map[string]any{}
	define := func(kind, id string, v any) {
		if wrap[kind] == nil {
			wrap[kind] = map[string]any{}
		}
		wrap[kind].(map[string]any)[id] = v
	}
	service := map[string]any{}
	extensions := stringList(dig(cfg, "service", "extensions"))
	var newExt []string
	for _, id := range sortedKeys(cfg["extensions"]) {
		if !slices.Contains(extensions, id) {
			newExt = append(newExt, id)
		}
	}
	if len(newExt) > 0 {
		service["extensions"] = append(extensions, newExt...)
		notes = append(notes, "extensions "+strings.Join(newExt, ", ")+" added to service.extensions")
	}
	if len(added) > 0 {
		ps := map[string]any{}
		for name, p := range added {
			if len(p.receivers) == 0 {
				p.receivers = []string{"otlp/docs"}
				define("receivers", "otlp/docs", map[string]any{"protocols": map[string]any{"grpc": map[string]any{"endpoint": "127.0.0.1:4317"}}})
			}
			if len(p.exporters) == 0 {
				p.exporters = []string{"debug/docs"}
				define("exporters", "debug/docs", map[string]any{})
			}
			ps[name] = map[string]any{"receivers": p.receivers, "processors": p.processors, "exporters": p.exporters}
			notes = append(notes, fmt.Sprintf("pipeline %s: receivers %v, processors %v, exporters %v", name, p.receivers, p.processors, p.exporters))
		}
		service["pipelines"] = ps
	}
	if len(service) == 0 {
		return nil, nil, nil
	}
	wrap["service"] = service
	sort.Strings(notes)
	return wrap, notes, nil
}

// checkHelmSnippet renders the snippet's `config` as the chart would and validates it.
func checkHelmSnippet(t *testing.T, b snippet, values map[string]any) {
	checkKeys(t, b.name(), "", values, chartValueKeys)
	values = deepCopy(t, values)
	if _, full := values["mode"]; !full {
		base, ok := docValuesBase[b.file]
		if !ok {
			t.Fatalf("partial Helm values (no mode): name the examples/helm values file they go with in docValuesBase")
		}
		values = coalesce(loadValues(t, base), values)
	}
	cfg := chartConfig(t, values)
	text, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "{{") {
		t.Errorf("config contains {{, which the chart's tpl would evaluate")
	}
	podEnv := slices.Clone(chartPodEnv)
	extraEnvs, _ := values["extraEnvs"].([]any)
	for _, e := range extraEnvs {
		if name, ok := dig(map[string]any{"e": e}, "e", "name").(string); ok {
			podEnv = append(podEnv, name)
		}
	}
	for _, ref := range envRefs(string(text)) {
		if !slices.Contains(podEnv, ref) {
			t.Errorf("config uses ${env:%s}, which the chart's pod does not set (extraEnvs)", ref)
		}
	}
	validateWrapped(t, b.name(), cfg, envFor(t, string(text), nil), []string{writeTemp(t, "config.yaml", text)})
}

// thisRepo matches a remote kustomize base or component of this repository.
var thisRepo = regexp.MustCompile(`^(?:git::)?(?:https://)?github\.com/k8s502/otelcol-k8s502(?:\.git)?/+([^?]*)(?:\?.*)?$`)

func checkKubernetesSnippet(t *testing.T, root string, docs [][]byte, maps []map[string]any) {
	for i, js := range docs {
		apiVersion, kind := maps[i]["apiVersion"].(string), maps[i]["kind"].(string)
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			t.Errorf("document %d: apiVersion %q: %v", i, apiVersion, err)
			continue
		}
		gvk := gv.WithKind(kind)
		switch {
		case scheme.Scheme.Recognizes(gvk):
			// client-go's typed object: unknown and duplicate fields fail.
			if _, _, err := strictDecoder.Decode(js, nil, nil); err != nil {
				t.Errorf("document %d (%s): %v", i, gvk, err)
			}
		case gv.Group == "kustomize.config.k8s.io" && (kind == "Kustomization" || kind == "Component"):
			checkKustomizationSnippet(t, root, js, maps[i])
		case gv.Group == "monitoring.coreos.com" && kind == "PrometheusRule":
			// The rule files' shape (alerts_test.go's ruleGroup), strictly.
			var pr struct {
				APIVersion string         `json:"apiVersion"`
				Kind       string         `json:"kind"`
				Metadata   map[string]any `json:"metadata"`
				Spec       struct {
					Groups []ruleGroup `json:"groups"`
				} `json:"spec"`
			}
			if err := yaml.UnmarshalStrict(js, &pr); err != nil {
				t.Errorf("document %d (%s): %v", i, gvk, err)
			}
		case gv.Group == "monitoring.coreos.com" && (kind == "ServiceMonitor" || kind == "PodMonitor"):
			// The fields monitoring_test.go knows, strictly.
			var m monitor
			if err := yaml.UnmarshalStrict(js, &m); err != nil {
				t.Errorf("document %d (%s): %v", i, gvk, err)
			}
		default:
			// Another CRD: no types here; well-formed (parsed already) and named.
			if name, _ := dig(maps[i], "metadata", "name").(string); name == "" {
				t.Errorf("document %d (%s): no metadata.name", i, gvk)
			}
			t.Logf("document %d: %s has no types here: only checked to be well-formed YAML with apiVersion, kind and metadata.name", i, gvk)
		}
	}
}

// checkKustomizationSnippet: strictly kustomize's Kustomization type; then, when every base and
// component is this repository's (a remote URL of it, read from this checkout), rendered with
// kustomize's library into typed objects, and each images[] entry must change some container.
func checkKustomizationSnippet(t *testing.T, root string, js []byte, m map[string]any) {
	var k kustypes.Kustomization
	if err := yaml.UnmarshalStrict(js, &k); err != nil {
		t.Errorf("%s: %v", m["kind"], err)
		return
	}
	dir := t.TempDir()
	renderable := true
	for _, key := range []string{"resources", "components"} {
		list, _ := m[key].([]any)
		for i, e := range list {
			s, _ := e.(string)
			sub := thisRepo.FindStringSubmatch(s)
			if sub == nil {
				t.Logf("%s[%d] %q is not this repository's: not rendered", key, i, s)
				renderable = false
				continue
			}
			local := filepath.Join(root, filepath.FromSlash(sub[1]))
			if _, err := os.Stat(local); err != nil {
				t.Errorf("%s[%d] %q: %s is not in this repository", key, i, s, sub[1])
				renderable = false
				continue
			}
			rel, err := filepath.Rel(dir, local)
			if err != nil {
				t.Fatal(err)
			}
			list[i] = rel
		}
	}
	if !renderable {
		return
	}
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = kustypes.LoadRestrictionsNone // the bases are outside the temporary directory, as remote ones would be
	resMap, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := strictDecoder.Decode(j, nil, nil); err != nil {
			t.Errorf("rendered object: %v\n%s", err, doc)
		}
	}
	for _, img := range k.Images {
		want := img.NewName
		if want == "" {
			want = img.Name
		}
		if img.NewTag != "" {
			want += ":" + img.NewTag
		}
		if !strings.Contains(string(out), "image: "+want) {
			t.Errorf("images: %s changes no container (the rendered images are not %s)", img.Name, want)
		}
	}
}

// --- shell blocks and inline commands ---

// repoCommand is one command of a shell line, with the line's place.
type repoCommand struct {
	where string
	env   map[string]string
	words []string
	// flagsOnly: only the values of pathFlags are paths (an inline command in prose, or a
	// shell line after a cd, may run anywhere).
	flagsOnly bool
}

// shellCommands splits a shell line into commands (at ;, &&, ||, |, &) of words, honouring
// quotes and backslashes and dropping a comment. Good enough for documentation.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord, single, double := false, false, false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	end := func() {
		flush()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			} else {
				cur.WriteRune(c)
			}
		case double:
			switch {
			case c == '"':
				double = false
			case c == '\\' && i+1 < len(rs):
				i++
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(c)
			}
		case c == '\'':
			single, inWord = true, true
		case c == '"':
			double, inWord = true, true
		case c == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			end()
			return cmds
		case c == ';' || c == '|' || (c == '&' && !(i > 0 && (rs[i-1] == '>' || rs[i-1] == '<'))):
			end()
			if i+1 < len(rs) && rs[i+1] == c {
				i++
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	end()
	return cmds
}

// shellBlockCommands reads a shell block's commands, joining continued lines; each is placed
// at the Markdown line it starts on.
func shellBlockCommands(b snippet) []repoCommand {
	var out []repoCommand
	lines := strings.Split(strings.TrimRight(b.text, "\n"), "\n")
	elsewhere := false // after a cd, relative paths are not the repository root's
	for i := 0; i < len(lines); i++ {
		start := i
		line := lines[i]
		if b.lang == "console" {
			if !strings.HasPrefix(strings.TrimSpace(line), "$ ") {
				continue
			}
			line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		}
		for strings.HasSuffix(strings.TrimRight(line, " \t"), "\\") && i+1 < len(lines) {
			line = strings.TrimSuffix(strings.TrimRight(line, " \t"), "\\") + " " + lines[i+1]
			i++
		}
		for _, words := range shellCommands(line) {
			c := splitEnv(fmt.Sprintf("%s:%d", b.file, b.line+1+start), words)
			if len(c.words) > 0 && (c.words[0] == "cd" || c.words[0] == "pushd") {
				elsewhere = true
			}
			c.flagsOnly = elsewhere
			out = append(out, c)
		}
	}
	return out
}

// splitEnv takes the leading NAME=value assignments off a command.
func splitEnv(where string, words []string) repoCommand {
	c := repoCommand{where: where, env: map[string]string{}}
	for len(words) > 0 {
		name, value, ok := strings.Cut(words[0], "=")
		if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(name) {
			break
		}
		c.env[name] = value
		words = words[1:]
	}
	c.words = words
	return c
}

// pathFlags take a file or directory that a command reads.
var pathFlags = []string{"-f", "--filename", "--values", "-k", "--kustomize", "--config"}

// makeTargets lists the Makefile's rule names.
func makeTargets(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	rule := regexp.MustCompile(`^([A-Za-z0-9_./%-]+(?:[ \t]+[A-Za-z0-9_./%-]+)*)[ \t]*::?([^=]|$)`)
	for _, l := range strings.Split(string(data), "\n") {
		if m := rule.FindStringSubmatch(l); m != nil {
			targets = append(targets, strings.Fields(m[1])...)
		}
	}
	return targets
}

// commandChecker holds what commands are checked against.
type commandChecker struct {
	root    string
	entries []string // the repository root's entries
	targets []string // the Makefile's
}

// repoPath says whether a command argument names a path in the repository (its first
// component is an entry of the root, as commands run from there) and returns it cleaned;
// placeholders (<pod>), variables, home, absolute (in-container) paths and URLs are not.
func (cc commandChecker) repoPath(arg string) (string, bool) {
	p := strings.TrimSuffix(strings.TrimPrefix(arg, "["), "]")
	if p == "" || strings.ContainsAny(p, "<>$~*?{}=:@") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") {
		return "", false
	}
	p = strings.TrimSuffix(p, "...")
	p = strings.TrimPrefix(p, "./")
	first, _, _ := strings.Cut(p, "/")
	if first == "" || first == "_build" || !slices.Contains(cc.entries, first) {
		return "", false
	}
	return p, true
}

// check reports a command's repository paths that do not exist, make targets the Makefile
// does not have, and validates an otelcol-k8s502 run on repository configs with the binary.
func (cc commandChecker) check(t *testing.T, c repoCommand) {
	t.Helper()
	if len(c.words) == 0 {
		return
	}
	cmd := c.words[0]
	args := c.words[1:]
	if cmd == "make" {
		for _, a := range args {
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && !slices.Contains(cc.targets, a) {
				t.Errorf("%s: make %s: the Makefile has no target %s", c.where, a, a)
			}
		}
	}
	var configs []string
	configsInRepo := true
	for i := 0; i < len(args); i++ {
		a := strings.TrimPrefix(args[i], "[")
		var value string
		flag := false
		if slices.Contains(pathFlags, a) && i+1 < len(args) {
			value, flag = args[i+1], true
			i++
		} else if name, v, ok := strings.Cut(a, "="); ok && slices.Contains(pathFlags, name) {
			value, flag = v, true
		} else if c.flagsOnly {
			continue
		} else {
			value = args[i]
		}
		value = strings.TrimSuffix(strings.TrimPrefix(value, "["), "]")
		p, ok := cc.repoPath(value)
		switch {
		case ok:
			if _, err := os.Stat(filepath.Join(cc.root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s: %s names %s, which is not in the repository", c.where, strings.Join(c.words, " "), value)
			}
		case flag && !strings.ContainsAny(value, "<>$~") && !strings.HasPrefix(value, "/") && !strings.HasPrefix(value, "_build/"):
			if _, err := os.Stat(filepath.Join(cc.root, filepath.FromSlash(value))); err != nil {
				t.Logf("%s: %s %s is not a repository file (the reader's own)", c.where, a, value)
			}
		}
		if flag && (a == "--config" || strings.HasPrefix(a, "--config=")) {
			configs = append(configs, p)
			if !ok {
				configsInRepo = false
			}
		}
	}
	if filepath.Base(cmd) != "otelcol-k8s502" || len(configs) == 0 || (len(args) > 0 && args[0] != "validate" && !strings.HasPrefix(args[0], "-")) {
		return
	}
	if !configsInRepo {
		t.Logf("%s: otelcol-k8s502 runs a config that is not the repository's: not validated", c.where)
		return
	}
	// The collector as the doc runs it, with the line's variables (testEnv's for the rest).
	var files []string
	env := map[string]string{}
	for _, p := range configs {
		path := filepath.Join(cc.root, filepath.FromSlash(p))
		data, err := os.ReadFile(path)
		if err != nil {
			return // reported above
		}
		files = append(files, path)
		for k, v := range envFor(t, string(data), c.env) {
			env[k] = v
		}
	}
	t.Logf("%s: validating the configs of %s", c.where, strings.Join(c.words, " "))
	validateConfig(t, collectorBinary(t), cc.root, env, files...)
}

func TestDocCommands(t *testing.T) {
	root := testproc.RepoRoot(t)
	blocks, inline := docSnippets(t, root, false)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	cc := commandChecker{root: root, targets: makeTargets(t, root)}
	for _, e := range entries {
		if e.Name() != ".git" {
			cc.entries = append(cc.entries, e.Name())
		}
	}
	n := 0
	for _, b := range blocks {
		if !slices.Contains([]string{"sh", "bash", "shell", "console", "zsh"}, b.lang) {
			continue
		}
		n++
		t.Run(b.name(), func(t *testing.T) {
			if b.skip != "" {
				t.Skipf("not validated: %s", b.skip)
			}
			for _, c := range shellBlockCommands(b) {
				cc.check(t, c)
			}
		})
	}
	// Commands in the prose's `code spans`, one subtest per file; only their -f/--config/-k
	// values are taken for paths (the prose may say where they run).
	byFile := map[string][]inlineCode{}
	var files []string
	for _, in := range inline {
		if byFile[in.file] == nil {
			files = append(files, in.file)
		}
		byFile[in.file] = append(byFile[in.file], in)
	}
	for _, f := range files {
		t.Run(f+":inline", func(t *testing.T) {
			for _, in := range byFile[f] {
				for _, words := range shellCommands(in.text) {
					c := splitEnv(fmt.Sprintf("%s:%d", in.file, in.line), words)
					c.flagsOnly = true
					cc.check(t, c)
				}
			}
		})
	}
	t.Logf("%d shell blocks, %d inline commands", n, len(inline))
}
