// Package kube feeds the state store from the Kubernetes API with client-go
// informers. Objects are stripped by the store's transform functions before
// they are cached, so memory follows what diagnosis reads, not what the API
// returns.
package kube

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k8s502/otelcol-k8s502/processor/correlate502processor/internal/cluster"
)

// Config says how to reach the API server and what to watch.
type Config struct {
	AuthType   string // serviceAccount | kubeConfig
	Context    string
	QPS        float32
	Burst      int
	Namespaces []string // empty: all
	Logger     *zap.Logger
	// Client, when set, is used instead of building one (tests).
	Client kubernetes.Interface
}

// Watcher runs the informers.
type Watcher struct {
	stop      chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
	factories []informers.SharedInformerFactory
	synced    atomic.Bool
	store     *cluster.Store
}

// RESTConfig builds the client configuration the contrib way.
func RESTConfig(authType, context string) (*rest.Config, error) {
	switch authType {
	case "serviceAccount":
		return rest.InClusterConfig()
	case "kubeConfig":
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
		return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	}
	return nil, fmt.Errorf("auth_type %q cannot build a client", authType)
}

// Start begins watching. It does not wait for the caches: an unreachable
// API server must not hold up the pipeline; Synced tells when state is
// complete, and the reflectors keep retrying (and relist on reconnect).
func Start(_ context.Context, cfg Config, s *cluster.Store) (*Watcher, error) {
	client := cfg.Client
	if client == nil {
		rc, err := RESTConfig(cfg.AuthType, cfg.Context)
		if err != nil {
			return nil, err
		}
		rc.QPS, rc.Burst = cfg.QPS, cfg.Burst
		rc.UserAgent = "otelcol-k8s502/correlate502"
		if client, err = kubernetes.NewForConfig(rc); err != nil {
			return nil, err
		}
	}
	w := &Watcher{stop: make(chan struct{}), store: s}
	namespaces := cfg.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{corev1.NamespaceAll}
	}
	var syncs []cache.InformerSynced
	for _, ns := range namespaces {
		f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
		syncs = append(syncs, register(f, s)...)
		f.Start(w.stop)
		w.factories = append(w.factories, f)
	}
	// Namespaces are cluster-scoped; their labels matter for NetworkPolicy
	// namespaceSelectors.
	cf := informers.NewSharedInformerFactory(client, 0)
	nsInf := cf.Core().V1().Namespaces().Informer()
	if err := nsInf.SetTransform(cluster.StripNamespace); err != nil {
		return nil, err
	}
	syncs = append(syncs, add(nsInf, s))
	cf.Start(w.stop)
	w.factories = append(w.factories, cf)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		if cache.WaitForCacheSync(w.stop, syncs...) {
			now := time.Now()
			// Objects restored from storage that the list did not show
			// went while the gateway was down: no delete will come for them.
			if gone := s.ForgetUnlisted(now); len(gone) > 0 && cfg.Logger != nil {
				cfg.Logger.Info("objects restored from storage are gone from the cluster; marked deleted", zap.Any("objects", gone))
			}
			// From here on every change is recorded as it happens.
			s.StartWatching(now)
			w.synced.Store(true)
			if cfg.Logger != nil {
				cfg.Logger.Info("Kubernetes informers synced", zap.Strings("namespaces", namespaces))
			}
		}
	}()
	return w, nil
}

// register wires one namespace's informers to the store.
func register(f informers.SharedInformerFactory, s *cluster.Store) []cache.InformerSynced {
	type wiring struct {
		inf       cache.SharedIndexInformer
		transform cache.TransformFunc
	}
	ws := []wiring{
		{f.Core().V1().Pods().Informer(), cluster.StripPod},
		{f.Core().V1().Services().Informer(), cluster.StripService},
		{f.Discovery().V1().EndpointSlices().Informer(), cluster.StripEndpointSlice},
		// core/v1 only: events.k8s.io serves the same objects and would
		// count every event twice.
		{f.Core().V1().Events().Informer(), cluster.StripEvent},
		{f.Apps().V1().Deployments().Informer(), cluster.StripDeployment},
		{f.Apps().V1().ReplicaSets().Informer(), cluster.StripReplicaSet},
		{f.Networking().V1().NetworkPolicies().Informer(), cluster.StripNetworkPolicy},
	}
	var syncs []cache.InformerSynced
	for _, w := range ws {
		// SetTransform only fails once the informer runs; it has not yet.
		_ = w.inf.SetTransform(w.transform)
		syncs = append(syncs, add(w.inf, s))
	}
	return syncs
}

// add wires the handlers and returns when they have seen the initial list:
// the informer's own HasSynced says its cache is filled, not that the store
// is.
func add(inf cache.SharedIndexInformer, s *cluster.Store) cache.InformerSynced {
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.Apply(o, false, time.Now()) },
		UpdateFunc: func(_, o any) { s.Apply(o, false, time.Now()) },
		DeleteFunc: func(o any) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			s.Apply(o, true, time.Now())
		},
	})
	if err != nil {
		// Only a stopped informer refuses a handler; this one has not run.
		return inf.HasSynced
	}
	return reg.HasSynced
}

// Synced reports whether every informer has listed once.
func (w *Watcher) Synced() bool { return w != nil && w.synced.Load() }

// Stop ends the watches and waits for the informers' goroutines and the
// sync goroutine. It may be called more than once.
func (w *Watcher) Stop() {
	if w == nil {
		return
	}
	w.stopOnce.Do(func() {
		w.store.StopWatching(time.Now())
		close(w.stop)
		w.wg.Wait()
		for _, f := range w.factories {
			f.Shutdown()
		}
	})
}
