#!/usr/bin/env python3
"""Overhead of `infer api`: the same streamed chat request sent straight to a worker's
/worker_generate_stream and through the API's /v1/chat/completions, interleaved in one run.

Prints, per path, the median and p90 time to first token (request sent -> first text arrives), the
median decode rate (tokens after the first / time from the first text to the last) and the median
end-to-end rate (completion tokens / time from the request to the last text), then the ratios the
goal is stated in: API TTFT minus worker TTFT (goal < 2 ms) and API tokens/s over worker tokens/s
(goal >= 0.95). Both servers are Java: a cold JVM runs interpreted code for its first few hundred
requests, so the warm-up is long (--warmup) and the figures describe servers in their steady state.
Standard library only.
"""
import argparse
import http.client
import json
import statistics
import time
from urllib.parse import urlparse


def connection(url):
    u = urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def direct(conn, model, messages, max_tokens):
    """One request straight to the worker; FastChat frames end in a NUL byte."""
    body = json.dumps({"model": model, "messages": messages, "temperature": 0.0,
                       "max_new_tokens": max_tokens})
    start = time.perf_counter()
    conn.request("POST", "/worker_generate_stream", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    first = last = None
    buf = b""
    final = None
    shown = 0
    while True:
        data = resp.read1(65536)
        if not data:
            break
        buf += data
        *frames, buf = buf.split(b"\0")
        for f in frames:
            if not f:
                continue
            chunk = json.loads(f)
            if chunk.get("error_code"):
                raise RuntimeError("worker error: " + chunk.get("text", ""))
            now = time.perf_counter()
            text = chunk.get("text") or ""
            if len(text) > shown:
                # FastChat frames carry the whole text so far: new text arrived.
                shown = len(text)
                if first is None:
                    first = now
                last = now
            final = chunk
    return first - start, last - start, final["usage"]["completion_tokens"]


def through_api(conn, model, messages, max_tokens):
    """The same request through the OpenAI-compatible API, as SSE."""
    body = json.dumps({"model": model, "messages": messages, "temperature": 0.0,
                       "max_tokens": max_tokens, "stream": True,
                       "stream_options": {"include_usage": True}})
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError("api status %d: %s" % (resp.status, resp.read()[:300]))
    first = last = None
    usage = None
    buf = b""
    done = False
    while not done:
        data = resp.read1(65536)
        if not data:
            break
        buf += data
        *events, buf = buf.split(b"\n\n")
        for e in events:
            if not e.startswith(b"data: "):
                continue
            payload = e[6:]
            if payload == b"[DONE]":
                done = True
                break
            chunk = json.loads(payload)
            if "error" in chunk:
                raise RuntimeError("api error event: %s" % chunk["error"])
            now = time.perf_counter()
            if chunk.get("usage"):
                usage = chunk["usage"]
            for c in chunk.get("choices", []):
                if c["delta"].get("content"):
                    if first is None:
                        first = now
                    last = now
    # Drain to the end of the chunked body so the connection can be reused.
    while resp.read1(65536):
        pass
    return first - start, last - start, usage["completion_tokens"]


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=1000)
    args = ap.parse_args()
    messages = [{"role": "user", "content": "Tell me a short story about a lighthouse keeper."}]
    wconn, aconn = connection(args.worker), connection(args.api)
    for _ in range(args.warmup):
        direct(wconn, args.model, messages, args.max_tokens)
        through_api(aconn, args.model, messages, args.max_tokens)
    results = {"worker": [], "api": []}
    for i in range(args.runs):
        # Alternate which path goes first, so that drift in machine load hits both alike.
        order = [("worker", direct, wconn), ("api", through_api, aconn)]
        if i % 2:
            order.reverse()
        for name, fn, conn in order:
            results[name].append(fn(conn, args.model, messages, args.max_tokens))
    summary = {}
    for name, rows in results.items():
        ttft = [r[0] * 1000 for r in rows]
        decode = [(r[2] - 1) / (r[1] - r[0]) for r in rows]
        e2e = [r[2] / r[1] for r in rows]
        tokens = [r[2] for r in rows]
        summary[name] = {"ttft_ms_median": statistics.median(ttft), "ttft_ms_p90": p(ttft, 0.9),
                         "decode_tokens_per_s_median": statistics.median(decode),
                         "e2e_tokens_per_s_median": statistics.median(e2e),
                         "tokens": statistics.median(tokens)}
        print("%-6s  TTFT median %6.2f ms  p90 %6.2f ms   decode tokens/s %7.1f   end-to-end tokens/s %7.1f"
              "   (%d tokens, %d runs)"
              % (name, summary[name]["ttft_ms_median"], summary[name]["ttft_ms_p90"],
                 summary[name]["decode_tokens_per_s_median"], summary[name]["e2e_tokens_per_s_median"],
                 summary[name]["tokens"], len(rows)))
    added = summary["api"]["ttft_ms_median"] - summary["worker"]["ttft_ms_median"]
    ratio = summary["api"]["decode_tokens_per_s_median"] / summary["worker"]["decode_tokens_per_s_median"]
    e2e_ratio = summary["api"]["e2e_tokens_per_s_median"] / summary["worker"]["e2e_tokens_per_s_median"]
    print("api adds %.2f ms to TTFT (goal < 2 ms); keeps %.3f of the worker's decode tokens/s (goal >= 0.95)"
          " and %.3f of its end-to-end tokens/s" % (added, ratio, e2e_ratio))
    # Paired per-run differences are steadier than differences of medians on a busy machine.
    diffs = [(a[0] - w[0]) * 1000 for a, w in zip(results["api"], results["worker"])]
    print("paired TTFT difference: median %.2f ms, p90 %.2f ms" % (statistics.median(diffs), p(diffs, 0.9)))


if __name__ == "__main__":
    main()
