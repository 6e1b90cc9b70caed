package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDeploymentsForSelector(t *testing.T) {
	s := NewStore(time.Hour)
	mkDep := func(ns, name string, template, match map[string]string) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		d.Spec.Template.Labels = template
		if match != nil {
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: match}
		}
		return d
	}
	s.UpsertDeployment(mkDep("shop", "checkout", map[string]string{"app": "checkout", "tier": "web"}, map[string]string{"app": "checkout"}), at(0))
	// Template labels not held (an older snapshot): matchLabels decide.
	s.UpsertDeployment(mkDep("shop", "checkout-canary", nil, map[string]string{"app": "checkout", "track": "canary"}), at(0))
	s.UpsertDeployment(mkDep("shop", "cart", map[string]string{"app": "cart"}, nil), at(0))
	s.UpsertDeployment(mkDep("other", "checkout", map[string]string{"app": "checkout"}, nil), at(0))
	// Deployment payments is not held, but its ReplicaSet carries the labels.
	rs := mkRS("payments-6d5c4b3a2", "payments", at(0), 1, 1, 1)
	rs.Labels = map[string]string{"app": "payments", "pod-template-hash": "6d5c4b3a2"}
	s.UpsertReplicaSet(rs, at(0))

	assert.Equal(t, []string{"checkout", "checkout-canary"}, s.DeploymentsForSelector("shop", map[string]string{"app": "checkout"}))
	assert.Equal(t, []string{"checkout"}, s.DeploymentsForSelector("shop", map[string]string{"app": "checkout", "tier": "web"}))
	assert.Equal(t, []string{"payments"}, s.DeploymentsForSelector("shop", map[string]string{"app": "payments"}))
	assert.Empty(t, s.DeploymentsForSelector("shop", map[string]string{"app": "inventory"}))
	assert.Empty(t, s.DeploymentsForSelector("shop", nil), "an empty selector selects nothing")
}

func TestEventsByNamePrefix(t *testing.T) {
	s := NewStore(time.Hour)
	ev := func(kind, name, reason string, sec int) Event {
		return Event{Namespace: "shop", Kind: kind, Name: name, Reason: reason, Time: at(sec), FirstTime: at(sec), Key: "shop/" + name + "." + reason}
	}
	s.AddEvent(ev("Pod", "checkout-7d9f8b6c5d-zzzzz", "Killing", 10))
	s.AddEvent(ev("Pod", "checkout-7d9f8b6c5d-yyyyy", "Killing", 5))
	s.AddEvent(ev("ReplicaSet", "checkout-7d9f8b6c5d", "SuccessfulDelete", 5))
	s.AddEvent(ev("Pod", "checkout-5f6d7c8b9a-q9w2e", "Scheduled", 6))
	s.AddEvent(ev("Pod", "checkout-7d9f8b6c5d-old01", "Killing", -900))
	s.AddEvent(Event{Namespace: "other", Kind: "Pod", Name: "checkout-7d9f8b6c5d-xxxxx", Reason: "Killing", Time: at(5), Key: "other/x"})

	var got []string
	for _, e := range s.EventsByNamePrefix("shop", "Pod", "checkout-7d9f8b6c5d-", at(-60), at(60)) {
		got = append(got, e.Name)
	}
	assert.Equal(t, []string{"checkout-7d9f8b6c5d-yyyyy", "checkout-7d9f8b6c5d-zzzzz"}, got, "by time; other kinds, namespaces, prefixes and times left out")
}
