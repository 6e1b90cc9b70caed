#!/usr/bin/env python3
"""Writes cluster-snapshot.yaml: the cluster state behind the demo log, as
`kubectl get pods,services,endpointslices,events,deployments,replicasets,
networkpolicies,namespaces -A -o yaml` would print it.

The demo log is a real ingress-nginx capture whose upstreams listened on
127.0.0.1:<port> (see receiver/k8s502receiver/testdata/ingress-nginx/README.md).
No cluster ran during that capture, so this snapshot is written by hand: one
Service and Deployment per upstream name, pods carrying those loopback
addresses, and for each failure scenario the state that would explain it
(an OOMKilled container, a failing readiness probe, a pod being deleted, a
rollout with maxSurge 0, a NetworkPolicy, a selector that matches nothing).
Run it again after editing; the output is committed.
"""
import json

items = []
T0 = "2026-11-25T07:00:00Z"


def meta(name, ns=None, labels=None, created="2026-11-25T08:00:00Z", **kw):
    m = {"name": name, "creationTimestamp": created, "uid": f"uid-{ns or 'cluster'}-{name}", "resourceVersion": "1000",
         # kubectl prints managedFields; the loader must strip them.
         "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                            "time": created, "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    m.update(kw)
    return m


def namespace(name, extra=None):
    labels = {"kubernetes.io/metadata.name": name}
    labels.update(extra or {})
    items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, labels=labels),
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})


def running(container):
    return {"name": container, "ready": True, "restartCount": 0, "started": True,
            "state": {"running": {"startedAt": "2026-11-25T08:00:20Z"}},
            "image": f"registry.example.com/shop/{container}:1.4.2", "imageID": "sha256:1", "containerID": "containerd://1"}


def crashlooping(container, reason, exit_code, finished, restarts):
    return {"name": container, "ready": False, "restartCount": restarts, "started": False,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off 40s restarting failed container={container}"}},
            "lastState": {"terminated": {"reason": reason, "exitCode": exit_code, "startedAt": "2026-11-25T08:45:58Z",
                                         "finishedAt": finished, "containerID": "containerd://9"}},
            "image": f"registry.example.com/shop/{container}:1.4.2", "imageID": "sha256:1"}


def pod(name, ns, labels, port, ready=True, ready_since="2026-11-25T08:00:30Z", owner=None, status=None,
        container="app", deletion=None, grace=30):
    c = {"name": container, "image": f"registry.example.com/shop/{container}:1.4.2",
         "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
         "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
         "readinessProbe": {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"}, "timeoutSeconds": 1,
                            "periodSeconds": 5, "failureThreshold": 3, "successThreshold": 1},
         "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent"}
    md = meta(name, ns, labels)
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": f"uid-{ns}-{owner}",
                                  "controller": True, "blockOwnerDeletion": True}]
    if deletion:
        md["deletionTimestamp"] = deletion
        md["deletionGracePeriodSeconds"] = grace
    cond = "True" if ready else "False"
    items.append({"apiVersion": "v1", "kind": "Pod", "metadata": md,
                  "spec": {"nodeName": "node-a", "containers": [c], "terminationGracePeriodSeconds": grace,
                           "serviceAccountName": "default", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
                  "status": {"phase": "Running", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}], "hostIP": "10.0.0.11",
                             "startTime": "2026-11-25T08:00:10Z",
                             "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-25T08:00:05Z"},
                                            {"type": "Ready", "status": cond, "lastTransitionTime": ready_since},
                                            {"type": "ContainersReady", "status": cond, "lastTransitionTime": ready_since}],
                             "containerStatuses": [status or running(container)], "qosClass": "Burstable"}})


def service(name, port, target, selector=None, port_name="http"):
    items.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(name, "shop", {"app": name}),
                  "spec": {"type": "ClusterIP", "clusterIP": f"10.96.0.{len(items) % 250}", "selector": selector or {"app": name},
                           "ports": [{"name": port_name, "port": port, "targetPort": target, "protocol": "TCP"}]}})


def slice_(svc, port, endpoints, suffix="x7k2p"):
    """endpoints: (pod name, ready, terminating)"""
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": meta(f"{svc}-{suffix}", "shop", {"kubernetes.io/service-name": svc,
                                                                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}),
                  "addressType": "IPv4", "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
                  "endpoints": [{"addresses": ["127.0.0.1"],
                                 "conditions": {"ready": r, "serving": r or term, "terminating": term},
                                 "targetRef": {"kind": "Pod", "name": p, "namespace": "shop", "uid": f"uid-shop-{p}"},
                                 "nodeName": "node-a"} for p, r, term in endpoints]})


def deployment(name, replicas=2, surge="25%", unavail="25%", labels=None, ready=None):
    ready = replicas if ready is None else ready
    items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": meta(name, "shop", {"app": name}, annotations={"deployment.kubernetes.io/revision": "3"}),
                  "spec": {"replicas": replicas, "selector": {"matchLabels": labels or {"app": name}}, "minReadySeconds": 0,
                           "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavail}},
                           "template": {"metadata": {"labels": labels or {"app": name}},
                                        "spec": {"containers": [{"name": name, "image": f"registry.example.com/shop/{name}:1.4.2"}]}}},
                  "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": replicas,
                             "observedGeneration": 3}})


def replicaset(dep, hash_, replicas, ready, created, rev, labels=None):
    labels = dict(labels or {"app": dep})
    labels["pod-template-hash"] = hash_
    items.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": meta(f"{dep}-{hash_}", "shop", labels, created=created,
                                   annotations={"deployment.kubernetes.io/revision": str(rev)},
                                   ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": dep,
                                                     "uid": f"uid-shop-{dep}", "controller": True, "blockOwnerDeletion": True}]),
                  "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": dep, "image": "x"}]}}},
                  "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": 1}})


event_seq = [0]


def event(kind, name, reason, message, first, last, count=1, type_="Warning", component="kubelet"):
    event_seq[0] += 1
    items.append({"apiVersion": "v1", "kind": "Event", "metadata": meta(f"{name}.18a2f{event_seq[0]:04x}", "shop", created=first),
                  "involvedObject": {"apiVersion": "v1" if kind == "Pod" else "apps/v1", "kind": kind, "name": name,
                                     "namespace": "shop", "uid": f"uid-shop-{name}"},
                  "reason": reason, "message": message, "type": type_, "count": count,
                  "firstTimestamp": first, "lastTimestamp": last,
                  "source": {"component": component, "host": "node-a"}, "reportingComponent": component, "reportingInstance": "node-a"})


def app(name, port, target, port_name="http", status=None, ready=True, ready_since="2026-11-25T08:00:30Z"):
    """A Service + Deployment + ReplicaSet + one pod + its EndpointSlice."""
    h = "5f6d7c8b9"
    service(name, port, target, port_name=port_name)
    deployment(name, ready=2 if ready else 0)
    replicaset(name, h, 2, 2 if ready else 0, T0, 3)
    p = f"{name}-{h}-a1b2c"
    pod(p, "shop", {"app": name, "pod-template-hash": h}, target, owner=f"{name}-{h}", container=name,
        status=status, ready=ready, ready_since=ready_since)
    slice_(name, target, [(p, ready, False)])
    return p


namespace("shop")
namespace("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})

# The controller that wrote the log (its identity is in the log file's path).
items.append({"apiVersion": "v1", "kind": "Pod",
              "metadata": meta("ingress-nginx-controller-7d9f8b6c5d-x2x4z", "ingress-nginx",
                               {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller",
                                "pod-template-hash": "7d9f8b6c5d"}),
              "spec": {"nodeName": "node-a", "containers": [{"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.15.1",
                                                             "ports": [{"name": "http", "containerPort": 80}]}]},
              "status": {"phase": "Running", "podIP": "10.244.1.10", "podIPs": [{"ip": "10.244.1.10"}],
                         "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-25T08:00:30Z"}]}})

# S1 inventory (connect refused): the container was OOMKilled and crash-loops.
p = app("inventory", 8080, 9001, ready=False, ready_since="2026-11-25T08:46:52Z",
        status=crashlooping("inventory", "OOMKilled", 137, "2026-11-25T08:46:52Z", 3))
event("Pod", p, "BackOff", f"Back-off restarting failed container inventory in pod {p}_shop(uid-shop-{p})",
      "2026-11-25T08:44:10Z", "2026-11-25T08:46:58Z", 7)
# S7c shipping and S9a wishlist (connect refused): the app exits with an error.
for name, target in [("shipping", 9004), ("wishlist", 9005)]:
    p = app(name, 8080, target, ready=False, ready_since="2026-11-25T08:47:10Z",
            status=crashlooping(name, "Error", 1, "2026-11-25T08:47:10Z", 5))
    event("Pod", p, "BackOff", f"Back-off restarting failed container {name} in pod {p}_shop(uid-shop-{p})",
          "2026-11-25T08:40:00Z", "2026-11-25T08:47:12Z", 11)
# S2a cart (premature close on a reused connection): a healthy pod.
app("cart", 8080, 9010)
# S2b reviews (reset): the readiness probe times out.
p = app("reviews", 8080, 9011, ready=False, ready_since="2026-11-25T08:46:55Z")
event("Pod", p, "Unhealthy", 'Readiness probe failed: Get "http://127.0.0.1:9011/healthz": context deadline exceeded '
      '(Client.Timeout exceeded while awaiting headers)', "2026-11-25T08:46:40Z", "2026-11-25T08:46:57Z", 6)
# Protocol errors, timeouts, TLS and the app's own 5xx: healthy pods, the traffic shows the problem.
for name, port, target, port_name in [
        ("assets", 8080, 9016, "http"), ("recommendations", 9090, 9012, "http"), ("search", 8080, 9013, "http"),
        ("session", 8080, 9014, "http"), ("quotes", 8080, 9019, "http"), ("stream", 8080, 9020, "http"),
        ("reports", 8080, 9015, "http"), ("export", 8080, 9018, "http"), ("pricing", 8080, 9015, "http"),
        ("payments", 8443, 9443, "https"), ("billing", 443, 9444, "https"), ("legacy-tls", 443, 9445, "https"),
        ("accounts", 8443, 9447, "https"), ("profile", 8080, 9002, "http"), ("checkout", 8080, 9002, "http"),
        ("newsletter", 8080, 9003, "http")]:
    app(name, port, target, port_name=port_name)
# S5 legacy (connect timeout): a NetworkPolicy admits only the monitoring namespace.
app("legacy", 8080, 9017)
items.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("legacy-allow-monitoring", "shop"),
              "spec": {"podSelector": {"matchLabels": {"app": "legacy"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                                    "ports": [{"protocol": "TCP", "port": 9017}]}]}})
# S7a orders (one dead endpoint, retried): that pod was being deleted, with no preStop hook.
service("orders", 8080, 9002)
deployment("orders")
replicaset("orders", "6b7c8d9e0", 2, 1, T0, 5)
pod("orders-6b7c8d9e0-dead1", "shop", {"app": "orders", "pod-template-hash": "6b7c8d9e0"}, 9001, owner="orders-6b7c8d9e0",
    container="orders", ready=False, ready_since="2026-11-25T08:47:08Z", deletion="2026-11-25T08:47:38Z", grace=30)
pod("orders-6b7c8d9e0-live2", "shop", {"app": "orders", "pod-template-hash": "6b7c8d9e0"}, 9002, owner="orders-6b7c8d9e0",
    container="orders")
slice_("orders", 9001, [("orders-6b7c8d9e0-dead1", False, True)], "x7k2p")
slice_("orders", 9002, [("orders-6b7c8d9e0-live2", True, False)], "p9q8r")
event("Pod", "orders-6b7c8d9e0-dead1", "Killing", "Stopping container orders", "2026-11-25T08:47:08Z", "2026-11-25T08:47:08Z", 1, "Normal")
# S7b tax (both endpoints dead): a rollout with maxSurge 0 took the old pods away before the new one was ready.
service("tax", 8080, 9004)
deployment("tax", replicas=2, surge=0, unavail=1, ready=0)
replicaset("tax", "4d5e6f7a8", 1, 0, T0, 6)
replicaset("tax", "9c8b7a6f5", 1, 0, "2026-11-25T08:47:05Z", 7)
pod("tax-4d5e6f7a8-old01", "shop", {"app": "tax", "pod-template-hash": "4d5e6f7a8"}, 9004, owner="tax-4d5e6f7a8", container="tax",
    ready=False, ready_since="2026-11-25T08:47:06Z")
pod("tax-9c8b7a6f5-new01", "shop", {"app": "tax", "pod-template-hash": "9c8b7a6f5"}, 9005, owner="tax-9c8b7a6f5", container="tax",
    ready=False, ready_since="2026-11-25T08:47:05Z")
slice_("tax", 9004, [("tax-4d5e6f7a8-old01", False, False)], "x7k2p")
slice_("tax", 9005, [("tax-9c8b7a6f5-new01", False, False)], "m3n4b")
event("Deployment", "tax", "ScalingReplicaSet", "Scaled down replica set tax-4d5e6f7a8 from 2 to 1", "2026-11-25T08:47:05Z",
      "2026-11-25T08:47:05Z", 1, "Normal", "deployment-controller")
# S9b promotions (503, no endpoints): the Service selects app=promotions, the pods are labelled app=promotions-v2.
service("promotions", 8080, 9006)
deployment("promotions", labels={"app": "promotions-v2"})
replicaset("promotions", "7e8f9a0b1", 2, 2, "2026-11-25T08:30:00Z", 2, labels={"app": "promotions-v2"})
pod("promotions-7e8f9a0b1-q1w2e", "shop", {"app": "promotions-v2", "pod-template-hash": "7e8f9a0b1"}, 9006,
    owner="promotions-7e8f9a0b1", container="promotions")
items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": meta("promotions-x7k2p", "shop", {"kubernetes.io/service-name": "promotions"}),
              "addressType": "IPv4", "ports": None, "endpoints": []})

doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
try:
    import yaml
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
except ImportError:  # kubectl -o json is accepted too
    text = json.dumps(doc, indent=2)
with open("cluster-snapshot.yaml", "w") as f:
    f.write(text)
print(len(items), "objects")
