"""Training-kernel alternatives, measured on the same chunks in one run.

Trains skip-gram NS on pre-built CSR chunks (no corpus reading, no Python in
the loop) with one thread, and reports CPU seconds and words per CPU-second for:

- vector ops as plain ``-O3`` loops with ``omp simd`` hints vs BLAS ``sdot`` /
  ``saxpy`` from ``scipy.linalg.cython_blas``, at d = 25 ... 300;
- one level vs the levels ``[d/4, d/2, d]`` (what the Matryoshka levels cost).

    python benchmarks/bench_kernels.py --corpus /path/to/corpus-small.txt

Writes ``results/bench_kernels.json`` and ``.md``. CPU time of a single
thread is less disturbed by other load on a shared machine than wall time.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from w2vm import Word2Vec, __version__  # noqa: E402
from w2vm.corpora import LineSentence  # noqa: E402
from w2vm.models import _native  # noqa: E402
from w2vm.models.batching import iter_chunks  # noqa: E402


def time_kernel(corpus, d, levels, vector_ops, max_words):
    model = Word2Vec(vector_size=d, levels=levels, sg=1, negative=5, workers=1, min_count=5, seed=1)
    model.build_vocab(corpus)
    chunks = []
    n = 0
    for chunk in iter_chunks(corpus, model.wv.key_to_index, 10000, 8):
        chunks.append(chunk)
        n += int(chunk.job_raw_words.sum())
        if n >= max_words:
            break
    trainer = model._native_trainer(compute_loss=False, vector_ops=vector_ops)
    start = time.process_time()
    for i, chunk in enumerate(chunks):
        trainer.train_chunk(chunk.words, chunk.sentence_offsets, chunk.job_starts,
                            np.full(chunk.n_jobs, 0.025, np.float32),
                            np.arange(chunk.n_jobs, dtype=np.uint64) + 1000 * i, 1)
    cpu = time.process_time() - start
    return {"d": d, "levels": levels, "vector_ops": vector_ops, "raw_words": n, "cpu_s": cpu,
            "words_per_cpu_s": n / cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(HERE.parent.parent / "shared" / "data" / "corpus-small.txt.gz"))
    parser.add_argument("--dims", default="25,50,100,200,300")
    parser.add_argument("--max-words", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(HERE / "results" / "bench_kernels.json"))
    args = parser.parse_args()
    corpus = LineSentence(args.corpus)
    rows = []
    for d in [int(x) for x in args.dims.split(",")]:
        nested = [m for m in (d // 4, d // 2, d) if m > 0]
        for levels in ([d], nested):
            for ops in ("loops", "blas"):
                row = time_kernel(corpus, d, levels, ops, args.max_words)
                rows.append(row)
                print(f"d={d:>3} levels={str(levels):<14} {ops:<5} {row['cpu_s']:6.2f} cpu-s  "
                      f"{row['words_per_cpu_s'] / 1e3:7.0f}k words/cpu-s", flush=True)
    result = {
        "command": " ".join([sys.executable] + sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "w2vm": __version__, "kernels": _native.name, "numpy": np.__version__, "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(), "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    lines = ["| d | levels | loops k words/cpu-s | BLAS k words/cpu-s | loops / BLAS |", "|---|---|---:|---:|---:|"]
    for i in range(0, len(rows), 2):
        loops, blas = rows[i], rows[i + 1]
        lines.append(f"| {loops['d']} | {loops['levels']} | {loops['words_per_cpu_s'] / 1e3:.0f} | "
                     f"{blas['words_per_cpu_s'] / 1e3:.0f} | {loops['words_per_cpu_s'] / blas['words_per_cpu_s']:.2f} |")
    table = "\n".join(lines)
    out.with_suffix(".md").write_text(f"`{result['command']}`, {result['date']}, kernels: {_native.name}\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
