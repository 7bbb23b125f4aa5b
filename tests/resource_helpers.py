"""Generated corpora and peak-memory probes for the resource-limit tests (also run in child processes)."""
import json
import os
import subprocess
import sys

import numpy as np

# AddressSanitizer (the .ci/debug --asan job) keeps freed memory in quarantine
# and adds shadow memory: peak RSS then says nothing about w2vm's own use.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(TESTS_DIR)


class GeneratedCorpus:
    """``n_tokens`` tokens over a fixed vocabulary, in sentences of ``length``; the same every pass.

    Word ``i`` has probability proportional to ``1 / (i + 50)``: Zipf-like but
    flat enough that every word of the vocabulary turns up in a few hundred
    thousand tokens, so a corpus and ten times that corpus have the same
    vocabulary. Nothing is kept between sentences: streaming it costs no memory.
    """

    def __init__(self, n_tokens, vocab_size=2000, length=20, seed=0):
        self.n_tokens, self.length, self.seed = int(n_tokens), int(length), seed
        self.words = [f"w{i}" for i in range(vocab_size)]
        p = 1.0 / (np.arange(vocab_size) + 50.0)
        self.cdf = np.cumsum(p / p.sum())

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        words, length = self.words, self.length
        left = self.n_tokens
        while left > 0:
            n = min(left, 1 << 16)
            ids = np.minimum(np.searchsorted(self.cdf, rng.random(n)), len(words) - 1).tolist()
            for s in range(0, n, length):
                yield [words[i] for i in ids[s:s + length]]
            left -= n

    def write(self, path):
        with open(path, "w", encoding="utf-8") as fh:
            batch = []
            for sentence in self:
                batch.append(" ".join(sentence))
                if len(batch) == 4096:
                    fh.write("\n".join(batch) + "\n")
                    batch = []
            if batch:
                fh.write("\n".join(batch) + "\n")
        return path


def peak_rss_mb():
    """This process's peak resident set (VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 1024.0)  # bytes on macOS, KiB elsewhere


def run_child(code, *args, timeout=600):
    """Run ``code`` in a fresh interpreter (w2vm and these helpers importable); its last stdout
    line is JSON, returned as a dict."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR, REPO_DIR, env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "2")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
