"""Measure a forgetting matrix from real training on this machine (provenance script for data/charlm-v).

A byte-level transformer LM is pre-trained on a mixture of text sources found on a Debian system, then a copy of it is
fine-tuned separately on each task, with a learning rate and a step count drawn per task, and every upstream chunk's
loss is measured before and after. Needs python3-torch (Debian) and, to run in tens of minutes on two cores, OpenBLAS.
"""
import fnmatch, glob, gzip, os, sys, time
import numpy as np
import torch
import torch.nn as nn

OUT = sys.argv[1] if len(sys.argv) > 1 else "charlm-v"
torch.set_num_threads(2)
torch.manual_seed(0)
rng = np.random.default_rng(20261205)
CTX, WIDTH, LAYERS, HEADS = 96, 64, 3, 4
PRE_STEPS, BATCH = 2000, 32
PER_SOURCE = 420


def find(root, pattern):
    """Files under root whose name matches pattern (os.walk: symbolic links to directories are not followed)."""
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if fnmatch.fnmatch(f, pattern)]


def read(path, limit=200_000):
    try:
        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
            return f.read(limit)
    except (OSError, EOFError):
        return b""


def corpus(paths, budget, r):
    paths = sorted(set(p for p in paths if os.path.isfile(p)))
    r.shuffle(paths)
    out, used = [], []
    total = 0
    for p in paths:
        b = read(p)
        if len(b) < 200 or b.count(0) > 0:
            continue
        out.append(b[:40_000]); used.append(p)
        total += min(len(b), 40_000)
        if total >= budget:
            break
    return b"\n".join(out), used


SOURCES = {
    "python-stdlib": glob.glob("/usr/lib/python3.11/*.py"),
    "perl-module": find("/usr/share/perl/5.36", "*.pm"),
    "man-page": glob.glob("/usr/share/man/man1/*.gz"),
    "changelog": glob.glob("/usr/share/doc/*/changelog.Debian.gz"),
    "vim-script": find("/usr/share/vim", "*.vim"),
    "c-header": glob.glob("/usr/include/*.h"),
    "license": glob.glob("/usr/share/common-licenses/*"),
}
KINDS = {  # kind: (family, files)
    "html": ("web", find("/usr/share/doc", "*.html")),
    "css": ("web", find("/usr/share", "*.css")),
    "svg": ("web", find("/usr/share", "*.svg")),
    "xml": ("data", find("/usr/share", "*.xml")),
    "yaml": ("data", find("/usr/share", "*.yaml") + find("/usr/share", "*.yml")),
    "locale": ("data", glob.glob("/usr/share/i18n/locales/*")),
    "conf": ("data", find("/etc", "*.conf")),
    "python-pkg": ("code-python", find("/usr/lib/python3/dist-packages", "*.py")),
    "cpp-header": ("code-c", find("/usr/include/c++", "*")),
    "kernel-header": ("code-c", find("/usr/include/linux", "*.h")),
    "javascript": ("code-other", find("/usr/lib/node_modules", "*.js")),
    "makefile": ("code-other", find("/usr/share", "Makefile*")),
    "cmake": ("code-other", find("/usr/lib", "*.cmake")),
    "markdown": ("text", find("/usr/share", "*.md")),
    "plain-text": ("text", find("/usr/share", "*.txt")),
}
INSTANCES = {"html": 3, "python-pkg": 3, "javascript": 3, "css": 2, "svg": 2, "xml": 2, "yaml": 2, "locale": 2,
             "conf": 2, "cpp-header": 2, "kernel-header": 2, "makefile": 2, "cmake": 2, "markdown": 2, "plain-text": 2}
LRS, STEPS = [2e-4, 6e-4, 2e-3], [40, 100, 200]


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.ln1 = nn.LayerNorm(d); s.att = nn.MultiheadAttention(d, h, batch_first=True)
        s.ln2 = nn.LayerNorm(d); s.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(s, x, mask):
        y = s.ln1(x)
        x = x + s.att(y, y, y, attn_mask=mask, need_weights=False)[0]
        return x + s.mlp(s.ln2(x))


class LM(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(256, WIDTH); s.pos = nn.Parameter(torch.zeros(CTX, WIDTH))
        s.blocks = nn.ModuleList([Block(WIDTH, HEADS) for _ in range(LAYERS)])
        s.ln = nn.LayerNorm(WIDTH); s.out = nn.Linear(WIDTH, 256)
        s.register_buffer("mask", torch.triu(torch.ones(CTX, CTX, dtype=torch.bool), 1))

    def hidden(s, x):
        t = x.shape[1]
        h = s.emb(x) + s.pos[:t]
        for b in s.blocks:
            h = b(h, s.mask[:t, :t])
        return s.ln(h)

    def forward(s, x):
        return s.out(s.hidden(x))


def windows(data, n, r):
    starts = r.integers(0, len(data) - CTX - 1, n)
    return torch.tensor(np.stack([np.frombuffer(data[i:i + CTX + 1], dtype=np.uint8) for i in starts]).astype(np.int64))


def train(model, data, steps, lr, r, batch=BATCH, schedule=False):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    for s in range(steps):
        if schedule:
            for g in opt.param_groups:
                g["lr"] = lr * min(1.0, (s + 1) / 100) * 0.5 * (1 + np.cos(np.pi * s / steps))
        x = windows(data, batch, r)
        loss = nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, 256), x[:, 1:].reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    return float(loss)


@torch.no_grad()
def chunk_losses(model, chunks):
    model.eval()
    out = []
    for i in range(0, len(chunks), 512):
        x = chunks[i:i + 512]
        logp = torch.log_softmax(model(x[:, :-1]), -1)
        out.append(-logp.gather(-1, x[:, 1:, None])[..., 0].mean(1))
    return torch.cat(out).numpy()


@torch.no_grad()
def pooled(model, x):
    model.eval()
    return torch.cat([model.hidden(x[i:i + 512, :-1]).mean(1) for i in range(0, len(x), 512)]).numpy()


t0 = time.time()
texts, chunk_rows, sources = [], [], []
for name, paths in SOURCES.items():
    text, _ = corpus(paths, 400_000, rng)
    cut = int(len(text) * 0.8)  # chunks come from held-back text, so base losses are not memorised training windows
    texts.append(text[:cut])
    held = text[cut:]
    chunk_rows.append(windows(held, PER_SOURCE, rng))
    sources += [name] * PER_SOURCE
mixture = b"\n".join(texts)
chunks = torch.cat(chunk_rows)
print(f"mixture {len(mixture)} bytes, {len(chunks)} chunks", flush=True)

base = LM()
loss = train(base, mixture, PRE_STEPS, 2e-3, rng, schedule=True)
base_loss = chunk_losses(base, chunks)
print(f"pre-trained in {time.time() - t0:.0f} s, last batch loss {loss:.3f}, chunk loss {base_loss.mean():.3f}", flush=True)
state = {k: v.clone() for k, v in base.state_dict().items()}

tasks = []
for kind, n in INSTANCES.items():
    family, paths = KINDS[kind]
    paths = sorted(set(p for p in paths if os.path.isfile(p)))
    rng.shuffle(paths)
    for i in range(n):
        tasks.append((f"{kind}-{i + 1}", family, paths[i::n]))
settings = [(lr, st) for lr in LRS for st in STEPS]
order = rng.permutation(len(tasks))
rows, z, task_emb = [], [], []
for row, ti in enumerate(order):
    name, family, paths = tasks[ti]
    data, _ = corpus(paths, 120_000, rng)
    lr, steps = settings[(row + rng.integers(0, 2)) % len(settings)]
    model = LM(); model.load_state_dict(state)
    task_emb.append(pooled(model, windows(data, 64, rng)).mean(0))
    train(model, data, steps, lr, rng, batch=16)
    z.append(chunk_losses(model, chunks) - base_loss)
    rows.append((row, name, family, lr, steps))
    print(f"{row:2d} {name:16s} lr {lr:g} steps {steps:3d}: mean forgetting {z[-1].mean():+.4f} ({time.time() - t0:.0f} s)", flush=True)

os.makedirs(OUT, exist_ok=True)
np.save(f"{OUT}/z.npy", np.stack(z).astype(np.float32))
np.save(f"{OUT}/base_loss.npy", base_loss.astype(np.float32))
np.save(f"{OUT}/task_emb.npy", np.stack(task_emb).astype(np.float32))
np.save(f"{OUT}/example_emb.npy", pooled(base, chunks).astype(np.float16))
with open(f"{OUT}/tasks.csv", "w") as f:
    f.write("row,task,family,lr,steps\n")
    for r in rows:
        f.write(f"{r[0]},{r[1]},{r[2]},{r[3]:g},{r[4]}\n")
with open(f"{OUT}/upstream.csv", "w") as f:
    f.write("column,source,base_loss\n")
    for j, (s, b) in enumerate(zip(sources, base_loss)):
        f.write(f"{j},{s},{b:.5f}\n")
print(f"done in {time.time() - t0:.0f} s", flush=True)
