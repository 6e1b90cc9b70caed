package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// Counts says what a snapshot held.
type Counts struct {
	// Objects counts the objects stored, per kind (Pod, Service, ...). An
	// Event listed by both event APIs counts once.
	Objects map[string]int
	// Skipped counts objects of kinds the store does not keep, per kind.
	Skipped map[string]int
	// Duplicates counts events met again under the same namespace/name.
	Duplicates int
	// Documents counts the YAML or JSON documents read.
	Documents int
}

// LoadSnapshot reads a dump of cluster state into s: the output of
// `kubectl get pods,services,endpointslices,events,deployments,replicasets,networkpolicies,namespaces -A -o yaml`
// (or -o json), that is a List; also typed lists (PodList), single objects,
// several YAML documents separated by ---, several concatenated JSON
// objects, and documents that are plain sequences of objects. Objects are
// stripped before they are stored. The time the dump was taken is unknown,
// so history is dated from the objects' own timestamps. Kinds the store does
// not keep are counted and skipped; a document or item that cannot be
// decoded is an error naming the file and the document (and item).
func LoadSnapshot(path string, s *Store) (Counts, error) {
	f, err := os.Open(path)
	if err != nil {
		return Counts{}, fmt.Errorf("cluster snapshot: %w", err)
	}
	defer f.Close()
	l := snapshotLoader{
		store:   s,
		decoder: scheme.Codecs.UniversalDeserializer(),
		events:  map[string]struct{}{},
		counts:  Counts{Objects: map[string]int{}, Skipped: map[string]int{}},
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(f), 4096)
	for doc := 1; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return l.counts, fmt.Errorf("cluster snapshot %s: document %d: %w", path, doc, err)
		}
		if err := l.document(raw); err != nil {
			return l.counts, fmt.Errorf("cluster snapshot %s: document %d: %w", path, doc, err)
		}
	}
	return l.counts, nil
}

type snapshotLoader struct {
	store   *Store
	decoder runtime.Decoder
	events  map[string]struct{} // namespace/name of events already loaded
	counts  Counts
}

// document loads one YAML or JSON document: a list, a sequence or an object.
func (l *snapshotLoader) document(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	l.counts.Documents++
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
		return l.items(items, nil)
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	if !strings.HasSuffix(head.Kind, "List") {
		return l.item(raw, nil)
	}
	// Items of a typed list (PodList) may leave out apiVersion and kind.
	var def *schema.GroupVersionKind
	if kind := strings.TrimSuffix(head.Kind, "List"); kind != "" {
		gv, err := schema.ParseGroupVersion(head.APIVersion)
		if err != nil {
			return err
		}
		gvk := gv.WithKind(kind)
		def = &gvk
	}
	return l.items(head.Items, def)
}

func (l *snapshotLoader) items(items []json.RawMessage, def *schema.GroupVersionKind) error {
	for i, it := range items {
		if err := l.item(it, def); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
	}
	return nil
}

// item decodes one object into its API type, strips it and stores it.
func (l *snapshotLoader) item(raw []byte, def *schema.GroupVersionKind) error {
	obj, gvk, err := l.decoder.Decode(raw, def, nil)
	if err != nil {
		switch {
		case runtime.IsNotRegisteredError(err) && gvk != nil:
			l.counts.Skipped[gvk.Kind]++
			return nil
		case runtime.IsMissingKind(err):
			return errors.New("object has no kind") // the library's error quotes the whole object
		case runtime.IsMissingVersion(err):
			return errors.New("object has no apiVersion")
		}
		return err
	}
	// The snapshot's time is unknown: a zero seen dates history from the
	// objects' own timestamps.
	if !l.store.Apply(Strip(obj), false, time.Time{}) {
		l.counts.Skipped[gvk.Kind]++
		return nil
	}
	switch o := obj.(type) {
	case *corev1.Event:
		if !l.firstEvent(o.Namespace, o.Name) {
			return nil
		}
	case *eventsv1.Event:
		if !l.firstEvent(o.Namespace, o.Name) {
			return nil
		}
	}
	kind := gvk.Kind
	l.counts.Objects[kind]++
	return nil
}

// firstEvent says whether the event namespace/name is met for the first
// time; both event APIs list the same Event objects.
func (l *snapshotLoader) firstEvent(ns, name string) bool {
	k := ns + "/" + name
	if _, dup := l.events[k]; dup {
		l.counts.Duplicates++
		return false
	}
	l.events[k] = struct{}{}
	return true
}
