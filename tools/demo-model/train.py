#!/usr/bin/python3
"""Trains infer's built-in demo model and exports it as an Optimum-style ONNX model folder.

Corpus: the plain-text fortune files of Debian's `fortunes` package. Tokenizer: a byte-level BPE
trained here. Model: a tiny GPT-2-shaped decoder. Output: model.onnx (with KV cache inputs and
outputs), tokenizer.json, tokenizer_config.json, config.json, generation_config.json.

Run from the repository root: nice /usr/bin/python3 tools/demo-model/train.py
See tools/demo-model/README.md.
"""

import argparse
import collections
import hashlib
import heapq
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234
CORPUS_DIR = "/usr/share/games/fortunes"
# ASCII pictures and text meant to be reformatted teach nothing about sentences.
SKIP_FILES = {"art", "ascii-art"}
MAX_FORTUNE_CHARS = 600
SPECIALS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>"]
EOS = "<|endoftext|>"
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|endoftext|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
# GPT-2's pre-tokenizer pattern; with the ASCII-only corpus \p{L} and \p{N} are [A-Za-z], [0-9].
PRETOKEN = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
PROMPTS = [
    "Tell me something about {topic}.",
    "Say something about {topic}.",
    "What do you know about {topic}?",
    "Give me a fortune about {topic}.",
    "Tell me a fortune.",
    "Tell me something.",
    "Hello!",
    "Hi, who are you?",
    "Say something wise.",
    "Tell me a joke.",
    "What should I do today?",
    "Any advice?",
]
SYSTEMS = ["You are a helpful assistant.", "You are a fortune cookie.", "Answer briefly."]


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters (what ByteLevel uses)."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1))
          + list(range(ord("\xae"), ord("\xff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_MAP = bytes_to_unicode()


def clean(text):
    """ASCII only, no tabs or control characters, single spaces, trimmed lines."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[\x00-\x1f\x7f]", " ", line)
        lines.append(re.sub(r" +", " ", line).strip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_fortunes():
    docs = []
    for name in sorted(os.listdir(CORPUS_DIR)):
        path = os.path.join(CORPUS_DIR, name)
        if "." in name or name in SKIP_FILES or os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
        for chunk in re.split(r"^%$", raw, flags=re.M):
            text = clean(chunk)
            if 10 <= len(text) <= MAX_FORTUNE_CHARS:
                docs.append((name, text))
    return docs


def qa_split(text):
    """Splits 'Q: ... A: ...' fortunes into a question and an answer, else None."""
    m = re.match(r"^Q:\s*(.+?)\s*\nA:\s*(.+)$", text, flags=re.S)
    return (m.group(1), m.group(2)) if m else None


def build_documents(fortunes, rng):
    """Each fortune becomes plain text or a chat turn; segments are (special?, text)."""
    docs = []
    for topic, text in fortunes:
        qa = qa_split(text)
        roll = rng.random()
        if qa is not None and roll < 0.7:
            docs.append([(True, "<|user|>"), (False, qa[0]), (True, EOS),
                         (True, "<|assistant|>"), (False, qa[1]), (True, EOS)])
        elif roll < 0.6:
            segs = []
            if rng.random() < 0.15:
                segs += [(True, "<|system|>"), (False, rng.choice(SYSTEMS)), (True, EOS)]
            prompt = rng.choice(PROMPTS).format(topic=topic.replace("-", " and "))
            segs += [(True, "<|user|>"), (False, prompt), (True, EOS),
                     (True, "<|assistant|>"), (False, text), (True, EOS)]
            docs.append(segs)
        else:
            docs.append([(False, text), (True, EOS)])
    rng.shuffle(docs)
    return docs


def pretokens(text):
    return ["".join(BYTE_MAP[b] for b in p.encode("utf-8")) for p in PRETOKEN.findall(text)]


def train_bpe(texts, vocab_size):
    """Byte-level BPE: merges picked by count, ties broken by the pair's text (deterministic)."""
    counts = collections.Counter()
    for t in texts:
        counts.update(pretokens(t))
    words = [list(w) for w in counts]
    freqs = list(counts.values())
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    n_merges = vocab_size - len(SPECIALS) - 256
    while len(merges) < n_merges and heap:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg or -neg < 2:
            continue
        merges.append(pair)
        merged = pair[0] + pair[1]
        changed = set()
        for i in sorted(where.pop(pair, ())):
            w = words[i]
            for a, b in zip(w, w[1:]):
                pair_counts[(a, b)] -= freqs[i]
                changed.add((a, b))
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_counts[(a, b)] += freqs[i]
                where[(a, b)].add(i)
                changed.add((a, b))
        pair_counts.pop(pair, None)
        for p in sorted(changed):
            c = pair_counts.get(p, 0)
            if c > 0 and p != pair:
                heapq.heappush(heap, (-c, p))
    vocab = {s: i for i, s in enumerate(SPECIALS)}
    for b in range(256):
        vocab[BYTE_MAP[b]] = len(vocab)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab, merges


class Tokenizer:
    """Encodes exactly as Hugging Face's BPE model does with this tokenizer.json."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.inverse = {i: s for s, i in vocab.items()}
        self.ranks = {p: r for r, p in enumerate(merges)}
        self.byte_back = {c: b for b, c in BYTE_MAP.items()}
        self.cache = {}

    def encode_word(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get(p, 1 << 30), k) for k, p in enumerate(zip(parts, parts[1:]))]
            rank, k = min(ranked)
            if rank == 1 << 30:
                break
            parts = parts[:k] + [parts[k] + parts[k + 1]] + parts[k + 2:]
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode_segments(self, segments):
        ids = []
        for special, text in segments:
            if special:
                ids.append(self.vocab[text])
            else:
                for w in pretokens(text):
                    ids.extend(self.encode_word(w))
        return ids

    def decode(self, ids):
        out = []
        for i in ids:
            s = self.inverse[i]
            if s in SPECIALS:
                continue
            out.append(bytes(self.byte_back[c] for c in s))
        return b"".join(out).decode("utf-8", errors="replace")


class Block(nn.Module):
    """Pre-norm transformer block (GPT-2 layout) that appends its keys and values to a cache."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask, past_k, past_v):
        b, t, d = x.shape[0], x.shape[1], x.shape[2]
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, self.head_dim).transpose(1, 2) for z in (q, k, v))
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.head_dim))
        att = torch.softmax(att.masked_fill(~mask, -1e9), dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        x = x + self.out(F.gelu(self.fc(self.ln2(x))))
        return x, k, v


class DemoLM(nn.Module):
    """Decoder-only LM; the output projection shares the token embedding."""

    def __init__(self, vocab, d, layers, heads, ctx):
        super().__init__()
        self.layers, self.heads, self.head_dim = layers, heads, d // heads
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)

    def empty_past(self, batch):
        z = torch.zeros(batch, self.heads, 0, self.head_dim)
        return [z] * (2 * self.layers)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        """past: key0, value0, key1, ... each [batch, heads, past_len, head_dim]."""
        past_len = past[0].shape[2]
        total = past_len + input_ids.shape[1]
        key_pos = torch.arange(total)
        query_pos = torch.arange(past_len, total)
        causal = key_pos.unsqueeze(0) <= query_pos.unsqueeze(1)
        mask = causal.unsqueeze(0).unsqueeze(0) & attention_mask.bool().unsqueeze(1).unsqueeze(2)
        x = self.tok(input_ids) + self.pos(position_ids)
        presents = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        logits = torch.matmul(self.ln(x), self.tok.weight.t())
        return (logits, *presents)

    def logits(self, ids):
        """Training and reference forward: whole sequences, no cache."""
        b, t = ids.shape
        pos = torch.arange(t).unsqueeze(0).expand(b, t)
        return self.forward(ids, torch.ones_like(ids), pos, *self.empty_past(b))[0]


def greedy(model, prompt, eos_id, max_new):
    """Greedy decoding without a cache: the reference the ONNX check compares against."""
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(max_new):
            nxt = int(model.logits(torch.tensor([ids]))[0, -1].argmax())
            ids.append(nxt)
            if nxt == eos_id:
                break
    return ids[len(prompt):]


def batches(stream, starts, ctx, batch, rng):
    """Windows of ctx+1 tokens that begin at a document start, as inference sequences do."""
    while True:
        rows = []
        for _ in range(batch):
            s = starts[rng.randrange(len(starts))]
            rows.append(stream[s:s + ctx + 1])
        yield torch.tensor(rows)


def export(model, out_dir, args):
    model.eval()
    b, t, past_len = 1, 3, 2
    ids = torch.zeros(b, t, dtype=torch.long)
    mask = torch.ones(b, past_len + t, dtype=torch.long)
    pos = torch.arange(past_len, past_len + t).unsqueeze(0)
    past = [torch.zeros(b, args.heads, past_len, args.d // args.heads)
            for _ in range(2 * args.layers)]
    past_names, present_names, axes = [], [], {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(args.layers):
        for kind in ("key", "value"):
            past_names.append(f"past_key_values.{i}.{kind}")
            present_names.append(f"present.{i}.{kind}")
            axes[past_names[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[present_names[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    torch.onnx.export(
        model, (ids, mask, pos, *past), os.path.join(out_dir, "model.onnx"),
        input_names=["input_ids", "attention_mask", "position_ids", *past_names],
        output_names=["logits", *present_names], dynamic_axes=axes,
        opset_version=14, do_constant_folding=True)


def write_folder(out_dir, vocab, merges, args):
    added = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True} for s in SPECIALS]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": True}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None, "pre_tokenizer": byte_level, "post_processor": None,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    eos_id = vocab[EOS]
    tok_config = {
        "model_max_length": args.ctx, "bos_token": EOS, "eos_token": EOS, "pad_token": EOS,
        "unk_token": None, "add_bos_token": False, "add_eos_token": False,
        "clean_up_tokenization_spaces": False, "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": CHAT_TEMPLATE,
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"}
                                 for a in added},
    }
    config = {
        "_name_or_path": "infer-demo", "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2", "vocab_size": len(vocab),
        "n_layer": args.layers, "n_head": args.heads, "n_embd": args.d, "n_positions": args.ctx,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "num_key_value_heads": args.heads, "hidden_size": args.d,
        "head_dim": args.d // args.heads, "max_position_embeddings": args.ctx,
        "bos_token_id": eos_id, "eos_token_id": eos_id, "pad_token_id": eos_id,
        "tie_word_embeddings": True, "use_cache": True, "torch_dtype": "float32",
    }
    gen = {"bos_token_id": eos_id, "eos_token_id": [eos_id], "pad_token_id": eos_id,
           "max_new_tokens": 128, "do_sample": True, "temperature": 0.8, "top_p": 0.95}
    for name, obj in (("tokenizer.json", tokenizer), ("tokenizer_config.json", tok_config),
                      ("config.json", config), ("generation_config.json", gen)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1 if name != "tokenizer.json" else None,
                      ensure_ascii=False, sort_keys=False)
            f.write("\n")


SAMPLE_PROMPTS = [
    [(True, "<|user|>"), (False, "Tell me something about computers."), (True, EOS),
     (True, "<|assistant|>")],
    [(True, "<|user|>"), (False, "Hello!"), (True, EOS), (True, "<|assistant|>")],
    [(True, "<|user|>"), (False, "What is the meaning of life?"), (True, EOS),
     (True, "<|assistant|>")],
    [(False, "The best way to")],
]


def check_with_onnx_runtime(out_dir, work_dir, cases):
    """Greedy decoding with the KV cache in ONNX Runtime (Java) must match torch token for token."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.expanduser("~/.m2/repository/com/microsoft/onnxruntime/onnxruntime")
    jars = sorted(os.path.join(repo, v, f"onnxruntime-{v}.jar") for v in os.listdir(repo)) \
        if os.path.isdir(repo) else []
    if not jars:
        sys.exit("no onnxruntime jar in ~/.m2: run 'mvn -q -B dependency:resolve' first")
    cases_file = os.path.join(work_dir, "onnx-check-cases.txt")
    with open(cases_file, "w") as f:
        for prompt, expected in cases:
            f.write(" ".join(map(str, prompt)) + ";" + " ".join(map(str, expected)) + "\n")
    subprocess.run(["java", "-cp", jars[-1], os.path.join(here, "OnnxCheck.java"),
                    os.path.join(out_dir, "model.onnx"), cases_file], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="src/main/resources/dev/infer/engine/demo-model")
    ap.add_argument("--words", default="src/test/resources/dev/infer/engine/demo-words.txt")
    ap.add_argument("--work", default="target/demo-model-work")
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time-steps", type=int, default=0, help="time this many steps and stop")
    args = ap.parse_args()

    t0 = time.time()
    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    # torch.use_deterministic_algorithms(True) makes CPU bmm ~20x slower; CPU kernels are
    # deterministic for a fixed thread count anyway.
    rng = random.Random(SEED)

    fortunes = read_fortunes()
    docs = build_documents(fortunes, rng)
    vocab, merges = train_bpe([text for _, text in fortunes], args.vocab)
    tok = Tokenizer(vocab, merges)
    eos_id = vocab[EOS]
    encoded = [tok.encode_segments(d) for d in docs]
    n_val = len(encoded) // 50
    train_docs, val_docs = encoded[n_val:], encoded[:n_val]
    stream, starts = [], []
    for d in train_docs:
        starts.append(len(stream))
        stream.extend(d)
    starts = [s for s in starts if s + args.ctx + 1 <= len(stream)]
    val_stream = [i for d in val_docs for i in d]
    print(f"corpus: {len(fortunes)} fortunes, {sum(len(t) for _, t in fortunes)} chars, "
          f"{len(stream)} training tokens, vocab {len(vocab)}, "
          f"tokenizer {time.time() - t0:.0f}s", flush=True)

    model = DemoLM(len(vocab), args.d, args.layers, args.heads, args.ctx)
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params} parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    warmup = 50
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * (
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))
    data = batches(stream, starts, args.ctx, args.batch, rng)
    steps = args.time_steps or args.steps
    t_train, running = time.time(), None
    model.train()
    for step in range(1, steps + 1):
        xy = next(data)
        logits = model.logits(xy[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), xy[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 25 == 0 or step == steps:
            print(f"step {step}/{steps} loss {running:.3f} "
                  f"{(time.time() - t_train) / step:.3f}s/step", flush=True)
    if args.time_steps:
        return
    model.eval()
    with torch.no_grad():
        v = torch.tensor(val_stream[: (len(val_stream) // (args.ctx + 1)) * (args.ctx + 1)])
        v = v.view(-1, args.ctx + 1)
        lg = model.logits(v[:, :-1])
        val = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), v[:, 1:].reshape(-1)).item()
    print(f"training: {time.time() - t_train:.0f}s, final loss {running:.3f}, "
          f"validation loss {val:.3f}", flush=True)

    cases = []
    for segs in SAMPLE_PROMPTS:
        prompt = tok.encode_segments(segs)
        out = greedy(model, prompt, eos_id, 60)
        cases.append((prompt, out))
        shown = "".join(t if s else t for s, t in segs)
        print(f"sample: {shown!r} -> {tok.decode(out)!r} (eos: {out[-1] == eos_id})")

    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    for f in os.listdir(args.out):
        os.remove(os.path.join(args.out, f))
    export(model, args.out, args)
    write_folder(args.out, vocab, merges, args)
    check_with_onnx_runtime(args.out, args.work, cases)

    words = collections.Counter(w.lower() for _, t in fortunes for w in re.findall(r"[A-Za-z]+", t))
    os.makedirs(os.path.dirname(args.words), exist_ok=True)
    with open(args.words, "w") as f:
        f.write("".join(w + "\n" for w in sorted(w for w, c in words.items() if c >= 2)))
    # The index DemoModel.java extracts by (a jar cannot be listed), in sha256sum's format.
    index = []
    for name in sorted(os.listdir(args.out)):
        with open(os.path.join(args.out, name), "rb") as f:
            data_bytes = f.read()
        index.append(f"{hashlib.sha256(data_bytes).hexdigest()}  {name}\n")
        print(f"{index[-1].strip()} ({len(data_bytes)} bytes)")
    with open(os.path.join(args.out, "files.sha256"), "w") as f:
        f.write("".join(index))
    print(f"total time {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
