"""Peak memory of training as the corpus grows: it must stay flat.

The corpus is ``--corpus`` read ``k`` times over, with ``min_count=5k`` (so the
vocabulary, and with it the model's own arrays, stays the same while the stream
gets ``k`` times longer), both as a restartable iterable and as one ``corpus_file``. Each run
is a fresh process; its peak resident set (VmHWM) is reported next to the size
of the model's arrays.

    python benchmarks/bench_memory.py --corpus /path/to/corpus-small.txt --repeats 1,4,10

Writes ``results/bench_memory.json`` and ``.md``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from w2vm import Word2Vec
from w2vm.corpora import LineSentence

class Repeated:
    def __init__(self, path, k):
        self.path, self.k = path, k
    def __iter__(self):
        for _ in range(self.k):
            yield from LineSentence(self.path)

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0

mode, path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
# min_count scales with k so that the vocabulary stays that of one copy
model = Word2Vec(vector_size=100, sg=1, workers=2, min_count=5 * k, levels=[25, 50, 100], seed=1)
start = time.perf_counter()
if mode == "file":
    model.build_vocab(corpus_file=path)
    trained, raw = model.train(corpus_file=path, epochs=1)
else:
    corpus = Repeated(path, k)
    model.build_vocab(corpus)
    trained, raw = model.train(corpus, epochs=1)
elapsed = time.perf_counter() - start
arrays = model.wv.vectors.nbytes + model.syn1neg.nbytes + model.syn1.nbytes
print(json.dumps({{"mode": mode, "repeats": k, "raw_words": raw, "vocab": len(model.wv),
                  "seconds": elapsed, "peak_rss_mb": hwm(), "model_arrays_mb": arrays / 2**20}}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="an uncompressed LineSentence file")
    parser.add_argument("--repeats", default="1,4,10")
    parser.add_argument("--out", default=str(HERE / "results" / "bench_memory.json"))
    args = parser.parse_args()
    child = CHILD.format(repo=str(HERE.parent))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(x) for x in args.repeats.split(",")]:
            big = os.path.join(tmp, f"corpus-x{k}.txt")
            with open(big, "wb") as out, open(args.corpus, "rb") as src:
                data = src.read()
                for _ in range(k):
                    out.write(data)
            for mode, path in (("iter", args.corpus), ("file", big)):
                result = subprocess.run([sys.executable, "-c", child, mode, path, str(k)],
                                        capture_output=True, text=True, check=True)
                row = json.loads(result.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(f"{mode:>4} x{k:<3} {row['raw_words']:>11,} words  vocab {row['vocab']:>6}  "
                      f"peak RSS {row['peak_rss_mb']:7.1f} MB  (model arrays {row['model_arrays_mb']:.1f} MB)  "
                      f"{row['seconds']:.1f} s", flush=True)
            os.unlink(big)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join([sys.executable] + sys.argv)
    out.write_text(json.dumps({"command": command, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "rows": rows}, indent=2))
    lines = ["| mode | corpus × | raw words | vocab | peak RSS MB | model arrays MB |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['mode']} | {r['repeats']} | {r['raw_words']:,} | {r['vocab']} | {r['peak_rss_mb']:.1f} | "
              f"{r['model_arrays_mb']:.1f} |" for r in rows]
    out.with_suffix(".md").write_text(f"`{command}`\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
