package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/s2"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// A gateway that restarts would otherwise judge the records of the minutes
// before its restart (the agents' queues replay them) against only what the
// informers list at start, dated at start: pods deleted before the restart
// are unknown, Ready transitions and endpoint changes are gone. So the store
// writes its state and history to a storage extension (file_storage) every
// few seconds and at shutdown, and a new store reads it back before its
// informers start (restore.go).
//
// The value under HistoryKey is historyMagic, one version byte, then the
// JSON of a history as an S2 stream. JSON of typed structs keeps the
// Kubernetes objects in their API form (json tags) and the store's own types
// field by field, so a field added later is carried without a new version;
// a change that old data cannot be read into gets a new historyVersion, and
// data of another version is refused, never half read.

// HistoryKey is the storage key the history is written under.
const HistoryKey = "cluster_history"

const historyVersion byte = 1

var historyMagic = []byte("k5h")

// ErrHistoryTooLarge is returned by SaveHistory when the encoded history
// exceeds the bound it was given; nothing is written.
var ErrHistoryTooLarge = errors.New("cluster history larger than the size bound; not written")

// history is what is persisted: every object the store holds and every
// history it keeps, at Written. Pointers are the store's own, immutable
// objects; the mutable parts (PodInfo, spans, terminations, endpoint and
// ReplicaSet histories) are copies.
type history struct {
	Written         time.Time                     `json:"written"`
	Pods            []persistedPod                `json:"pods,omitempty"`
	IPs             []persistedSpan               `json:"ips,omitempty"`
	Terminations    []Termination                 `json:"terminations,omitempty"`
	Events          []*Event                      `json:"events,omitempty"`
	Services        []*corev1.Service             `json:"services,omitempty"`
	ServiceVersions []persistedServiceVersion     `json:"serviceVersions,omitempty"`
	Slices          []*discoveryv1.EndpointSlice  `json:"endpointSlices,omitempty"`
	Endpoints       []persistedAddress            `json:"endpoints,omitempty"`
	Deployments     []*appsv1.Deployment          `json:"deployments,omitempty"`
	ReplicaSets     []*appsv1.ReplicaSet          `json:"replicaSets,omitempty"`
	RSHistory       []persistedRS                 `json:"replicaSetHistory,omitempty"`
	NetworkPolicies []*networkingv1.NetworkPolicy `json:"networkPolicies,omitempty"`
	Namespaces      []*corev1.Namespace           `json:"namespaces,omitempty"`
	Watched         []Window                      `json:"watched,omitempty"`
}

// persistedServiceVersion is one version of a Service's spec (services_history.go).
// A history written before versions were kept has none: the Service then
// starts its history with its current version.
type persistedServiceVersion struct {
	Namespace string          `json:"namespace"`
	Name      string          `json:"name"`
	Since     time.Time       `json:"since"`
	Service   *corev1.Service `json:"service"`
}

// persistedPod is a PodInfo. Named says the store finds it by namespace and
// name; an older incarnation (a StatefulSet pod recreated under its name) is
// reachable only through its IP spans, which name it by its index in Pods.
type persistedPod struct {
	Pod       *corev1.Pod  `json:"pod"`
	FirstSeen time.Time    `json:"firstSeen,omitzero"`
	Deleted   time.Time    `json:"deleted,omitzero"`
	Ready     []Transition `json:"ready,omitempty"`
	Named     bool         `json:"named,omitempty"`
}

type persistedSpan struct {
	IP   string    `json:"ip"`
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	Pod  int       `json:"pod"` // index in history.Pods
}

// persistedAddress is one address's states under a Service.
type persistedAddress struct {
	Namespace string              `json:"namespace"`
	Service   string              `json:"service"`
	IP        string              `json:"ip"`
	Pod       string              `json:"pod,omitempty"`
	States    []persistedEndpoint `json:"states"`
}

type persistedEndpoint struct {
	State EndpointState `json:"state"`
	Gone  bool          `json:"gone,omitempty"`
}

type persistedRS struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Points    []ReplicaSetPoint `json:"points"`
}

// SaveHistory writes the store's state and history, as of now, to c under
// HistoryKey in one Batch, and returns the bytes written. Only the copy is
// made under the read lock; encoding and writing happen after it is
// released, so judgements (readers) never wait and informer updates wait
// only for the copy. A history above maxBytes (when positive) is not
// written (ErrHistoryTooLarge) and the previous one stays. Callers bound
// the size by pruning first.
func (s *Store) SaveHistory(ctx context.Context, c storage.Client, now time.Time, maxBytes int) (int, error) {
	b, err := encodeHistory(s.copyHistory(now))
	if err != nil {
		return 0, err
	}
	if maxBytes > 0 && len(b) > maxBytes {
		return len(b), fmt.Errorf("%w (%d bytes, bound %d)", ErrHistoryTooLarge, len(b), maxBytes)
	}
	if err := c.Batch(ctx, storage.SetOperation(HistoryKey, b)); err != nil {
		return len(b), fmt.Errorf("writing cluster history: %w", err)
	}
	return len(b), nil
}

// copyHistory copies what the store holds, under the read lock.
func (s *Store) copyHistory(now time.Time) *history {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := &history{
		Written:      now,
		Watched:      slices.Clone(s.watched),
		Pods:         make([]persistedPod, 0, len(s.podIPs)+len(s.pods)),
		IPs:          make([]persistedSpan, 0, len(s.podIPs)),
		Terminations: make([]Termination, 0, len(s.terms)),
		Events:       make([]*Event, 0, len(s.events)),
		Services:     make([]*corev1.Service, 0, len(s.services)),
		Slices:       make([]*discoveryv1.EndpointSlice, 0, len(s.slices)),
		Deployments:  make([]*appsv1.Deployment, 0, len(s.deployments)),
		RSHistory:    make([]persistedRS, 0, len(s.rsHistory)),
		Namespaces:   make([]*corev1.Namespace, 0, len(s.namespaces)),
	}
	index := make(map[*PodInfo]int, cap(h.Pods))
	addPod := func(info *PodInfo, named bool) int {
		if i, ok := index[info]; ok {
			h.Pods[i].Named = h.Pods[i].Named || named
			return i
		}
		index[info] = len(h.Pods)
		h.Pods = append(h.Pods, persistedPod{
			Pod: info.Pod, FirstSeen: info.FirstSeen, Deleted: info.Deleted,
			Ready: slices.Clone(info.Ready), Named: named,
		})
		return len(h.Pods) - 1
	}
	for _, byName := range s.pods {
		for _, info := range byName {
			addPod(info, true)
		}
	}
	for ip, spans := range s.podIPs {
		for _, sp := range spans {
			h.IPs = append(h.IPs, persistedSpan{IP: ip, From: sp.from, To: sp.to, Pod: addPod(sp.pod, false)})
		}
	}
	for _, ts := range s.terms {
		h.Terminations = append(h.Terminations, ts...)
	}
	for _, e := range s.events {
		h.Events = append(h.Events, e)
	}
	for _, svc := range s.services {
		h.Services = append(h.Services, svc)
	}
	for k, hist := range s.svcHistory {
		for _, v := range hist {
			h.ServiceVersions = append(h.ServiceVersions, persistedServiceVersion{Namespace: k.ns, Name: k.name, Since: v.since, Service: v.svc})
		}
	}
	for _, es := range s.slices {
		h.Slices = append(h.Slices, es)
	}
	for svc, hist := range s.endpoints {
		for k, entries := range hist {
			a := persistedAddress{Namespace: svc.ns, Service: svc.name, IP: k.ip, Pod: k.pod, States: make([]persistedEndpoint, len(entries))}
			for i, e := range entries {
				a.States[i] = persistedEndpoint{State: e.state, Gone: e.gone}
			}
			h.Endpoints = append(h.Endpoints, a)
		}
	}
	for _, d := range s.deployments {
		h.Deployments = append(h.Deployments, d)
	}
	for _, byName := range s.replicaSets {
		for _, rs := range byName {
			h.ReplicaSets = append(h.ReplicaSets, rs)
		}
	}
	for k, points := range s.rsHistory {
		h.RSHistory = append(h.RSHistory, persistedRS{Namespace: k.ns, Name: k.name, Points: slices.Clone(points)})
	}
	for _, byName := range s.netpols {
		for _, np := range byName {
			h.NetworkPolicies = append(h.NetworkPolicies, np)
		}
	}
	for _, ns := range s.namespaces {
		h.Namespaces = append(h.Namespaces, ns)
	}
	return h
}

// encodeHistory writes h's JSON through an S2 stream, an element at a
// time, so only the compressed bytes are held whole: the JSON of a large
// cluster's pods runs to megabytes (4 MB for 1,000 realistic pods) and
// compresses about twentyfold.
func encodeHistory(h *history) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(historyMagic)
	buf.WriteByte(historyVersion)
	zw := s2.NewWriter(&buf, s2.WriterConcurrency(1))
	if err := streamJSON(zw, h); err != nil {
		return nil, fmt.Errorf("encoding cluster history: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encoding cluster history: %w", err)
	}
	return buf.Bytes(), nil
}

// streamJSON writes the JSON object json.Marshal would write for the
// struct v points to (fields by their json tags, empty ones left out), but
// a slice field's elements one by one.
func streamJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	val := reflect.ValueOf(v).Elem()
	sep := "{"
	for i := range val.NumField() {
		f := val.Field(i)
		if f.IsZero() {
			continue
		}
		name, _, _ := strings.Cut(val.Type().Field(i).Tag.Get("json"), ",")
		if _, err := io.WriteString(w, sep+strconv.Quote(name)+":"); err != nil {
			return err
		}
		sep = ","
		if f.Kind() != reflect.Slice {
			if err := enc.Encode(f.Interface()); err != nil {
				return err
			}
			continue
		}
		if _, err := io.WriteString(w, "["); err != nil {
			return err
		}
		for j := range f.Len() {
			if j > 0 {
				if _, err := io.WriteString(w, ","); err != nil {
					return err
				}
			}
			if err := enc.Encode(f.Index(j).Interface()); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, "]"); err != nil {
			return err
		}
	}
	if sep == "{" {
		sep = "{}"
	} else {
		sep = "}"
	}
	_, err := io.WriteString(w, sep)
	return err
}

// decodeHistory reads what encodeHistory wrote; anything else (another
// version, a truncated or corrupt value) is an error.
func decodeHistory(raw []byte) (*history, error) {
	head := len(historyMagic) + 1
	if len(raw) < head || string(raw[:len(historyMagic)]) != string(historyMagic) {
		return nil, errors.New("stored cluster history is not in a known format")
	}
	if v := raw[head-1]; v != historyVersion {
		return nil, fmt.Errorf("stored cluster history has version %d; this build reads version %d", v, historyVersion)
	}
	h := new(history)
	dec := json.NewDecoder(s2.NewReader(bytes.NewReader(raw[head:])))
	if err := dec.Decode(h); err != nil {
		return nil, fmt.Errorf("stored cluster history is corrupt: %w", err)
	}
	return h, nil
}
