#!/usr/bin/env python3
"""Cold start of `infer serve` on the demo model: from process start to the first streamed token.

Starts dist/infer serve on free ports, polls the API until it answers, streams one chat completion
and reports: time to the API answering, time to the first streamed token (both from process
start), the resident memory of the all-in-one process after the first answer and after 50 more
requests, and the jar size. Runs N times (default 5) and prints the median. Loopback only.

Usage: bench/serve/coldstart.py [RUNS]
"""
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "infer.jar")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stream_first_token(port, deadline):
    body = json.dumps({"model": "infer-demo", "stream": True, "max_tokens": 16, "temperature": 0,
                       "messages": [{"role": "user", "content": "Tell me a story"}]})
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                resp.read()
                conn.close()
                time.sleep(0.01)
                continue
            while True:
                line = resp.readline()
                if not line:
                    break
                if line.startswith(b"data: {"):
                    chunk = json.loads(line[6:])
                    delta = chunk["choices"][0]["delta"] if chunk.get("choices") else {}
                    if delta.get("content"):
                        first = time.monotonic()
                        resp.read()
                        conn.close()
                        return first
            conn.close()
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("no token before the deadline")


def one_run():
    ports = [free_port() for _ in range(3)]
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(ROOT, "dist", "infer"), "serve",
                             "--controller-port", str(ports[0]), "--worker-port", str(ports[1]),
                             "--api-port", str(ports[2])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = stream_first_token(ports[2], start + 120)
        ttft = first - start
        rss_first = rss_mib(proc.pid)
        for _ in range(50):
            stream_first_token(ports[2], time.monotonic() + 30)
        rss_after = rss_mib(proc.pid)
        return ttft, rss_first, rss_after
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = [one_run() for _ in range(runs)]
    ttfts = [r[0] for r in results]
    print(f"runs: {runs}; load average at end: {os.getloadavg()[0]:.2f}")
    print(f"cold start to first streamed token: median {statistics.median(ttfts):.2f} s "
          f"(min {min(ttfts):.2f}, max {max(ttfts):.2f})")
    print(f"resident memory after the first answer: median {statistics.median(r[1] for r in results):.0f} MiB")
    print(f"resident memory after 50 more answers:  median {statistics.median(r[2] for r in results):.0f} MiB")
    print(f"jar size: {os.path.getsize(JAR) / 1e6:.1f} MB ({os.path.getsize(JAR)} bytes)")


if __name__ == "__main__":
    main()
