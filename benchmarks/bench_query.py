#!/usr/bin/env python
"""Query-side benchmark: w2vm KeyedVectors against gensim's on the same vectors.

Measures, in one run:

1. single-query ``most_similar`` latency (w2vm at the full level and at prefixes);
2. batch throughput: 1,000 queries through ``knn`` vs gensim's per-query loop;
3. ``load(mmap='r')`` time of a 1M x 100 file, w2vm's format vs gensim's native one;
4. evaluation (analogies, word pairs): identical results, and the time each takes.

The vectors: gensim is trained once (sg=1, 1 epoch, min_count=5, workers=2) on
the shared corpus and cached in ``--work-dir``; or pass ``--vectors BASE``
(w2vm ``save`` output). Prints a table and writes ``bench_query.json`` next to
this script. Standalone script: not collected by pytest.

    python benchmarks/bench_query.py
    python benchmarks/bench_query.py --vectors /path/to/base --queries 500
"""
import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vectors", help="base of w2vm-saved vectors to use instead of training gensim")
    p.add_argument("--corpus", default=str(SHARED / "corpus.txt.gz"), help="corpus for the gensim model")
    p.add_argument("--work-dir", default=os.path.join(tempfile.gettempdir(), "w2vm_bench_query"),
                   help="cache for the trained model and the 1M-row file")
    p.add_argument("--single", type=int, default=300, help="single queries to time")
    p.add_argument("--queries", type=int, default=1000, help="batch size for the throughput test")
    p.add_argument("--topn", type=int, default=10)
    p.add_argument("--mmap-rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=5, help="repeats of the load timing (median reported)")
    p.add_argument("--restrict-vocab", type=int, default=30000, help="restrict_vocab for the analogy test")
    p.add_argument("--output", default=str(HERE / "bench_query.json"))
    return p.parse_args()


def versions():
    import scipy

    import w2vm
    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
           "w2vm": w2vm.__version__, "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        import gensim
        out["gensim"] = gensim.__version__
    except ImportError:
        out["gensim"] = None
    try:
        cfg = np.show_config(mode="dicts")
        out["blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:  # noqa: BLE001 - informational only
        pass
    return out


def load_vectors(args):
    """(w2vm kv, gensim kv) holding identical vectors."""
    from gensim.models import KeyedVectors as GKV
    from w2vm.models.keyedvectors import KeyedVectors
    if args.vectors:
        kv = KeyedVectors.load(args.vectors)
        return kv, kv.to_gensim(), {"source": f"w2vm vectors {args.vectors}"}
    os.makedirs(args.work_dir, exist_ok=True)
    cached = os.path.join(args.work_dir, "gensim_sg1.kv")
    info = {"source": f"gensim Word2Vec(sg=1, epochs=1, min_count=5, workers=2, vector_size=100) on {args.corpus}"}
    if not os.path.exists(cached):
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence
        t = time.perf_counter()
        model = Word2Vec(LineSentence(args.corpus), vector_size=100, sg=1, epochs=1, min_count=5,
                         workers=2, seed=1)
        info["train_seconds"] = time.perf_counter() - t
        model.wv.save(cached)
    g = GKV.load(cached)
    return KeyedVectors.from_gensim(g), g, info


def timed(fn, repeats=1):
    times = []
    result = None
    for _ in range(repeats):
        result = None  # free the previous result outside the timed region
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return result, times


_LOAD_SNIPPET = """
import sys, time
sys.path.insert(0, {repo!r})
from {module} import KeyedVectors
t = time.perf_counter()
kv = KeyedVectors.load({path!r}, mmap="r")
print(time.perf_counter() - t)
"""


def timed_fresh_load(module, path, repeats):
    """``KeyedVectors.load(path, mmap='r')`` in fresh interpreters (imports not timed)."""
    import subprocess
    code = _LOAD_SNIPPET.format(repo=str(REPO), module=module, path=path)
    return [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True).stdout.split()[-1]) for _ in range(repeats)]


def bench_single(kv, g, words, topn):
    out = {}
    fns = {"gensim": lambda w: g.most_similar(w, topn=topn), "w2vm": lambda w: kv.most_similar(w, topn=topn)}
    for m in kv.levels:
        if m != kv.vector_size:
            fns[f"w2vm level={m}"] = lambda w, m=m: kv.most_similar(w, topn=topn, level=m)
    for fn in fns.values():
        fn(words[0])  # norm caches of every level filled before timing
    lat = {name: [] for name in fns}
    for w in words:  # interleaved, so that background load hits every variant alike
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(w)
            lat[name].append(time.perf_counter() - t)
    for name, values in lat.items():
        out[name] = {"median_ms": 1e3 * statistics.median(values), "mean_ms": 1e3 * statistics.fmean(values),
                     "min_ms": 1e3 * min(values), "p95_ms": 1e3 * float(np.percentile(values, 95))}
    same = sum(kv.most_similar(w, topn=topn) == [(k, s) for k, s in g.most_similar(w, topn=topn)]
               for w in words[:50])
    agree = sum([k for k, _ in kv.most_similar(w, topn=topn)] == [k for k, _ in g.most_similar(w, topn=topn)]
                for w in words[:50])
    out["identical_results_of_50"] = int(same)
    out["identical_keys_of_50"] = int(agree)
    return out


def bench_batch(kv, g, words, topn):
    (_, t_g) = timed(lambda: [g.most_similar(w, topn=topn) for w in words])
    (res, t_knn) = timed(lambda: kv.knn(words, k=topn), repeats=3)
    (_, t_batch) = timed(lambda: kv.most_similar_batch(words, topn=topn), repeats=3)
    idx = res[0]
    agree = np.mean([[kv.index_to_key[i] for i in row] == [k for k, _ in g.most_similar(w, topn=topn)]
                     for row, w in zip(idx[:100].tolist(), words[:100])])
    levels = {}
    for m in kv.levels:
        _, t = timed(lambda m=m: kv.knn(words, k=topn, level=m), repeats=3)
        levels[m] = len(words) / min(t)
    n = len(words)
    return {"queries": n, "gensim_loop_qps": n / t_g[0], "w2vm_knn_qps": n / min(t_knn),
            "w2vm_most_similar_batch_qps": n / min(t_batch), "speedup_knn_vs_gensim": t_g[0] / min(t_knn),
            "knn_qps_by_level": levels, "top_keys_identical_fraction": float(agree)}


def bench_mmap(args):
    from gensim.models import KeyedVectors as GKV
    from w2vm.models.keyedvectors import KeyedVectors
    n, d = args.mmap_rows, 100
    folder = os.path.join(args.work_dir, f"mmap_{n}")
    os.makedirs(folder, exist_ok=True)
    ours, theirs = os.path.join(folder, "w2vm"), os.path.join(folder, "gensim.kv")
    if not (os.path.exists(ours + ".npy") and os.path.exists(theirs)):
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((n, d), dtype=np.float32)
        keys = [f"key{i}" for i in range(n)]
        kv = KeyedVectors(d)
        kv.add_vectors(keys, vectors)
        kv.set_vecattr(keys, "count", np.arange(n, 0, -1))
        kv.save(ours)
        kv.to_gensim().save(theirs)
        del kv, vectors
    t_w, t_g = [], []
    for _ in range(args.repeats):  # interleaved, so that background load hits both alike
        t_w += timed(lambda: KeyedVectors.load(ours, mmap="r"))[1]
        t_g += timed(lambda: GKV.load(theirs, mmap="r"))[1]
    # w2vm builds key_to_index on first use: time load + one key lookup too, to show the whole cost.
    l_w, l_g = [], []
    for _ in range(args.repeats):
        l_w += timed(lambda: KeyedVectors.load(ours, mmap="r").get_index("key123"))[1]
        l_g += timed(lambda: GKV.load(theirs, mmap="r").get_index("key123"))[1]
    f_w, f_g = [], []
    for _ in range(args.repeats):
        f_w += timed_fresh_load("w2vm.models.keyedvectors", ours, 1)
        f_g += timed_fresh_load("gensim.models", theirs, 1)
    loaded = KeyedVectors.load(ours, mmap="r")
    return {"rows": n, "dim": d, "w2vm_median_s": statistics.median(t_w), "gensim_median_s": statistics.median(t_g),
            "w2vm_fresh_process_median_s": statistics.median(f_w),
            "gensim_fresh_process_median_s": statistics.median(f_g),
            "w2vm_load_and_lookup_median_s": statistics.median(l_w),
            "gensim_load_and_lookup_median_s": statistics.median(l_g),
            "w2vm_is_memmap": isinstance(loaded.vectors, np.memmap),
            "w2vm_all_s": t_w, "gensim_all_s": t_g, "w2vm_fresh_all_s": f_w, "gensim_fresh_all_s": f_g}


def bench_eval(kv, g, restrict_vocab):
    ev = SHARED / "eval"
    if not ev.exists():
        return {"skipped": f"{ev} not found"}
    out = {}
    q = str(ev / "questions-words.txt")
    (gs, t_g) = timed(lambda: g.evaluate_word_analogies(q, restrict_vocab=restrict_vocab))
    (ws, t_w) = timed(lambda: kv.evaluate_word_analogies(q, restrict_vocab=restrict_vocab))
    out["analogies"] = {"restrict_vocab": restrict_vocab, "gensim_score": gs[0], "w2vm_score": ws[0],
                        "identical_sections": gs == ws, "gensim_s": t_g[0], "w2vm_s": t_w[0]}
    for name in ("wordsim353.tsv", "simlex999.txt"):
        (gp, t_g) = timed(lambda name=name: g.evaluate_word_pairs(str(ev / name)))
        (wp, t_w) = timed(lambda name=name: kv.evaluate_word_pairs(ev / name))
        out[name] = {"gensim": [gp[0][0], gp[1][0], gp[2]], "w2vm": [wp[0][0], wp[1][0], wp[2]],
                     "identical": (gp[0][0], gp[0][1], gp[1][0], gp[1][1], gp[2]) ==
                                  (wp[0][0], wp[0][1], wp[1][0], wp[1][1], wp[2]),
                     "gensim_s": t_g[0], "w2vm_s": t_w[0]}
    (rows, t_l) = timed(lambda: kv.evaluate_levels(analogies=q, pairs=[str(ev / "wordsim353.tsv")],
                                                   restrict_vocab=restrict_vocab))
    out["levels"] = {"rows": rows, "seconds": t_l[0]}
    return out


def main():
    args = parse_args()
    import logging
    logging.basicConfig(level=logging.WARNING)
    result = {"command": " ".join([sys.executable] + sys.argv), "versions": versions(),
              "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
              "load_average_at_start": os.getloadavg()}
    kv, g, info = load_vectors(args)
    result["vectors"] = dict(info, rows=len(kv), dim=kv.vector_size, levels=kv.levels)
    rng = np.random.default_rng(0)
    pool = kv.index_to_key[:min(len(kv), 30000)]
    single_words = [pool[i] for i in rng.choice(len(pool), args.single, replace=False)]
    batch_words = [pool[i] for i in rng.choice(len(pool), args.queries, replace=False)]
    result["single"] = bench_single(kv, g, single_words, args.topn)
    result["batch"] = bench_batch(kv, g, batch_words, args.topn)
    result["mmap_load"] = bench_mmap(args)
    result["evaluation"] = bench_eval(kv, g, args.restrict_vocab)

    s, b, mm, ev = result["single"], result["batch"], result["mmap_load"], result["evaluation"]
    print(f"\nvectors: {len(kv)} x {kv.vector_size} ({info['source']})")
    print(f"{'measure':48s} {'gensim':>12s} {'w2vm':>12s} {'ratio':>8s}")
    for stat in ("median", "min"):
        print(f"{'single most_similar %s latency (ms)' % stat:48s} {s['gensim'][stat + '_ms']:12.3f} "
              f"{s['w2vm'][stat + '_ms']:12.3f} {s['gensim'][stat + '_ms'] / s['w2vm'][stat + '_ms']:7.2f}x")
        for m in kv.levels:
            key = f"w2vm level={m}"
            if key in s:
                print(f"{'  ... at level %d' % m:48s} {'':12s} {s[key][stat + '_ms']:12.3f}")
    print(f"{'batch of %d queries (queries/s), knn' % b['queries']:48s} {b['gensim_loop_qps']:12.0f} "
          f"{b['w2vm_knn_qps']:12.0f} {b['speedup_knn_vs_gensim']:7.1f}x")
    print(f"{'  ... most_similar_batch (queries/s)':48s} {'':12s} {b['w2vm_most_similar_batch_qps']:12.0f}")
    for m, qps in b["knn_qps_by_level"].items():
        print(f"{'  ... knn at level ' + str(m):48s} {'':12s} {qps:12.0f}")
    print(f"{'load(mmap=r) %d x %d, median (s)' % (mm['rows'], mm['dim']):48s} {mm['gensim_median_s']:12.3f} "
          f"{mm['w2vm_median_s']:12.3f} {mm['gensim_median_s'] / mm['w2vm_median_s']:7.2f}x")
    print(f"{'  ... in a fresh process, median (s)':48s} {mm['gensim_fresh_process_median_s']:12.3f} "
          f"{mm['w2vm_fresh_process_median_s']:12.3f} "
          f"{mm['gensim_fresh_process_median_s'] / mm['w2vm_fresh_process_median_s']:7.2f}x")
    print(f"{'  ... load + first key lookup, median (s)':48s} {mm['gensim_load_and_lookup_median_s']:12.3f} "
          f"{mm['w2vm_load_and_lookup_median_s']:12.3f} "
          f"{mm['gensim_load_and_lookup_median_s'] / mm['w2vm_load_and_lookup_median_s']:7.2f}x")
    if "analogies" in ev:
        a = ev["analogies"]
        print(f"{'analogies (restrict %d): accuracy' % a['restrict_vocab']:48s} {a['gensim_score']:12.4f} "
              f"{a['w2vm_score']:12.4f} {'same' if a['identical_sections'] else 'DIFF':>8s}")
        print(f"{'  ... time (s)':48s} {a['gensim_s']:12.2f} {a['w2vm_s']:12.2f} {a['gensim_s'] / a['w2vm_s']:7.1f}x")
        for name in ("wordsim353.tsv", "simlex999.txt"):
            e = ev[name]
            print(f"{name + ' spearman':48s} {e['gensim'][1]:12.4f} {e['w2vm'][1]:12.4f} "
                  f"{'same' if e['identical'] else 'DIFF':>8s}")
        for row in ev["levels"]["rows"]:
            print(f"  level {row['level']:4d}: analogy {row['analogy_accuracy']:.4f}, "
                  f"wordsim353 spearman {row['wordsim353_spearman']:.4f}")
    result["load_average_at_end"] = os.getloadavg()
    print(f"load average at start/end: {result['load_average_at_start'][0]:.1f} / "
          f"{result['load_average_at_end'][0]:.1f} on {os.cpu_count()} CPUs")
    with open(args.output, "w") as fh:
        json.dump(result, fh, indent=2, default=float)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
