#!/usr/bin/env python3
"""Bounded load: N concurrent clients streaming chat completions from `infer api` for D seconds.

Each client loops: one streamed /v1/chat/completions request, reading every SSE event to
[DONE]. Prints requests served, errors (by kind), and p50/p99 time to first token (request sent ->
first content). Standard library only; stops by itself.
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time


def client(host, port, model, max_tokens, deadline, out, lock, idx):
    conn = None
    n = 0
    while time.monotonic() < deadline:
        n += 1
        body = json.dumps({"model": model, "stream": True, "max_tokens": max_tokens,
                           "temperature": 0.7, "seed": idx * 100000 + n,
                           "messages": [{"role": "user", "content": f"client {idx} request {n}"}]})
        start = time.perf_counter()
        first = None
        kind = None
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=120)
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                kind = f"http {resp.status}"
                resp.read()
            else:
                done = False
                for raw in resp:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        done = True
                        break
                    event = json.loads(data)
                    if "error" in event:
                        kind = "stream error: " + str(event["error"].get("code"))
                        continue
                    delta = event["choices"][0]["delta"] if event.get("choices") else {}
                    if first is None and delta.get("content"):
                        first = time.perf_counter() - start
                resp.read()
                if not done and kind is None:
                    kind = "no [DONE]"
        except Exception as e:  # noqa: BLE001 - every failure is counted, none stops the run
            kind = type(e).__name__
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = None
        with lock:
            if kind:
                out["errors"][kind] = out["errors"].get(kind, 0) + 1
            else:
                out["served"] += 1
                if first is not None:
                    out["ttft"].append(first)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--api", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--duration", type=float, default=300)
    p.add_argument("--max-tokens", type=int, default=32)
    a = p.parse_args()
    host, port = a.api.replace("http://", "").split(":")
    out = {"served": 0, "errors": {}, "ttft": []}
    lock = threading.Lock()
    deadline = time.monotonic() + a.duration
    threads = [threading.Thread(target=client, daemon=True, args=(
        host, int(port), a.model, a.max_tokens, deadline, out, lock, i)) for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.duration + 180)
    ttft = sorted(out["ttft"])
    def pct(q):
        return ttft[min(len(ttft) - 1, int(q * len(ttft)))] * 1000 if ttft else float("nan")
    print(f"clients {a.clients}, duration {a.duration:.0f} s, max_tokens {a.max_tokens}")
    print(f"requests served {out['served']}, errors {sum(out['errors'].values())} {out['errors']}")
    print(f"time to first token: p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, "
          f"max {(ttft[-1] * 1000 if ttft else float('nan')):.1f} ms")
    print(f"throughput {out['served'] / a.duration:.1f} requests/s")
    sys.exit(1 if out["served"] == 0 else 0)


if __name__ == "__main__":
    main()
