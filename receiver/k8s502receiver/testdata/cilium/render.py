#!/usr/bin/env python3
"""Renders the Cilium Gateway API fixture from the documented access-log format.

Nothing here was written by an Envoy: every access line is the default text format of
CiliumGatewayClassConfig spec.telemetry.accessLogs (README.md) filled in by hand-picked values
per scenario. Run from this directory: python3 render.py (deterministic; rewrites 0.log and
labels.tsv).
"""
import datetime
import os

POD_DIR = "var/log/pods/kube-system_cilium-envoy-x7k9p_5b0c9e1a-2d3f-4a6b-8c7d-9e0f1a2b3c4d/cilium-envoy"
HOST = "shop.example.com"
BASE = datetime.datetime(2026, 11, 25, 10, 0, 0, tzinfo=datetime.timezone.utc)

# Envoy's local-reply bodies (router.cc / the HTTP connection manager); bytes_sent is their length.
BODY_UF = ("upstream connect error or disconnect/reset before headers. reset reason: remote connection "
           "failure, transport failure reason: delayed connect error: Connection refused")
BODY_URX_UF = ("upstream connect error or disconnect/reset before headers. retried and the latest reset "
               "reason: remote connection failure, transport failure reason: delayed connect error: "
               "Connection refused")
BODY_UC = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
BODY_UT = "upstream request timeout"
BODY_UH = "no healthy upstream"
APP_502 = '{"error":"upstream dependency failed","code":502}'

# name, path, status, flags, bytes_sent, duration ms, upstream service time, upstream host,
# origin, error kind, attempt status
SCENARIOS = [
    ("UF-pod-gone-connection-refused", "/api/cart/items/42", 503, "UF", len(BODY_UF), 1, "-",
     "10.244.1.17:8080", "gateway", "connect_refused", "-"),
    ("URX,UF-retry-policy-exhausted", "/api/cart/items/43", 503, "URX,UF", len(BODY_URX_UF), 27, "-",
     "10.244.1.17:8080", "gateway", "connect_refused", "-"),
    ("UT-route-timeout", "/api/reports/monthly", 504, "UT", len(BODY_UT), 5001, "-",
     "10.244.2.31:8080", "gateway", "read_timeout", "-"),
    ("UH-no-endpoints", "/api/promotions/active", 503, "UH", len(BODY_UH), 0, "-",
     "-", "gateway", "no_live_upstreams", "-"),
    ("UC-upstream-closed-before-headers", "/api/orders/7", 503, "UC", len(BODY_UC), 2, "-",
     "10.244.2.23:8080", "gateway", "premature_close", "-"),
    ("app-502-no-flags", "/api/checkout/pay", 502, "-", len(APP_502), 3, "2",
     "10.244.3.14:8080", "upstream", "-", "502"),
]

LINE = ('[{start}] "{method} {path} {proto}" {code} {flags} {rx} {tx} {dur} {ust} '
        '"{xff}" "{ua}" "{rid}" "{auth}" "{uh}"')


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def cri(t, stream, msg):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}{(t.microsecond % 7) * 100:03d}Z {stream} F {msg}\n"


def main():
    out, labels, n = [], [], 0
    t = BASE
    # cilium-envoy's application log (--log-format "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v"):
    # an illustrative line, not a copy of a real one.
    out.append(cri(t, "stdout", "[2026-11-25 09:59:58.101][7][info][main] [source/server/server.cc:978] "
                   "all clusters initialized. initializing init manager"))

    def request(name, path, code, flags, tx, dur, ust, uh, origin, kind, attempt):
        nonlocal n, t
        rid = f"ci{n:06d}-4f1e-4c8a-9d2b-7e3f1a2b3c4d"
        start = t + datetime.timedelta(milliseconds=250)
        t = start + datetime.timedelta(milliseconds=dur)
        line = LINE.format(start=ts(start), method="GET", path=path, proto="HTTP/1.1", code=code,
                           flags=flags, rx=0, tx=tx, dur=dur, ust=ust, xff=f"203.0.113.{11 + n % 200}",
                           ua="curl/8.5.0", rid=rid, auth=HOST, uh=uh)
        out.append(cri(t + datetime.timedelta(microseconds=1), "stdout", line))
        labels.append("\t".join(["cilium", rid, name, "cilium-text", str(code), origin, kind, "-", "-", uh,
                                 attempt, flags, "-"]))
        n += 1

    def background():
        request("background-200", f"/api/cart/items/{100 + n}", 200, "-", 1432, 3 + n % 5, str(2 + n % 4),
                "10.244.2.23:8080", "upstream", "-", "200")

    for sc in SCENARIOS:
        for _ in range(3):
            background()
        request(*sc)
    for _ in range(5):
        background()

    os.makedirs(POD_DIR, exist_ok=True)
    with open(os.path.join(POD_DIR, "0.log"), "w") as f:
        f.writelines(out)
    with open("labels.tsv", "w") as f:
        f.write("\t".join(["file", "request_id", "scenario", "format", "status", "origin", "error_kind",
                           "upstream_name", "service", "upstream_addr", "attempt_status", "response_flags",
                           "response_code_details"]) + "\n")
        f.write("\n".join(labels) + "\n")


if __name__ == "__main__":
    main()
