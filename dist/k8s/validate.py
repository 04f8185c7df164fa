#!/usr/bin/python3
"""Checks dist/k8s/*.yaml without a cluster: kinds, selectors matching pod labels, the Service
selecting the controller pods, probes on /health, the token from the same Secret, and the
worker's --controller URL naming the controller Service. Run: python3 dist/k8s/validate.py"""
import os
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
docs = {}
for name in ("controller.yaml", "worker.yaml"):
    with open(os.path.join(here, name)) as f:
        for d in yaml.safe_load_all(f):
            docs[(d["kind"], d["metadata"]["name"])] = d


def check(cond, what):
    if not cond:
        sys.exit("dist/k8s: " + what)


ctl = docs[("Deployment", "infer-controller")]
wrk = docs[("Deployment", "infer-worker")]
svc = docs[("Service", "infer-controller")]
for dep in (ctl, wrk):
    labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()), dep["metadata"]["name"] + " selector")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    port = c["ports"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        check(c[probe]["httpGet"]["path"] == "/health", probe + " path")
        check(c[probe]["httpGet"]["port"] == port["name"], probe + " port")
    check(str(port["containerPort"]) in c["args"], "container port matches --port")
    token = [e for e in c["env"] if e["name"] == "INFER_TOKEN"][0]
    check(token["valueFrom"]["secretKeyRef"] == {"name": "infer-token", "key": "token"}, "token")
ctl_labels = ctl["spec"]["template"]["metadata"]["labels"]
check(all(ctl_labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service selector")
check(not all(wrk["spec"]["template"]["metadata"]["labels"].get(k) == v
              for k, v in svc["spec"]["selector"].items()), "Service must not select workers")
args = wrk["spec"]["template"]["spec"]["containers"][0]["args"]
url = args[args.index("--controller") + 1]
check(url == "http://%s:%d" % (svc["metadata"]["name"], svc["spec"]["ports"][0]["port"]),
      "worker --controller is the Service: " + url)
env = {e["name"] for e in wrk["spec"]["template"]["spec"]["containers"][0]["env"]}
check("POD_IP" in env and "$(POD_IP)" in args[args.index("--worker-address") + 1],
      "worker address from the pod IP")
grace = wrk["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
check(grace > int(args[args.index("--drain-timeout") + 1]), "grace period covers the drain")
print("dist/k8s: %d objects OK" % len(docs))
