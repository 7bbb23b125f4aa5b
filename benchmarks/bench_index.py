"""ANN benchmark: w2vm.similarities against hnswlib and faiss on real word vectors.

Standalone (not collected by pytest). Prints a table and writes
``bench_index.json`` and ``bench_index.png`` next to this file.

Protocol (docs/benchmarks.md): vectors trained on corpus.txt.gz with
min_count=1 (~245k keys, d=100); 1,000 random keys are held out as queries
and removed from the indexed set; cosine similarity; exact top-10 by BLAS is
the reference; every library answers the same queries single-threaded, one
after the other in the same run. Builds use ``--build-threads`` threads for
every library alike.

    python benchmarks/bench_index.py --vectors BASE          # a w2vm .vocab.json + .npy base
    python benchmarks/bench_index.py --train-gensim          # fallback: gensim sg, 1 epoch, cached
    python benchmarks/bench_index.py --train-gensim --quick  # 50k vectors, fewer settings
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
REPO = HERE.parent
sys.path.insert(0, str(REPO))

# Past 640 (the protocol's sweep) only while recall is still below --stop-recall:
# rare-word vectors make this a hard set.
EF_SWEEP = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 640, 960, 1280, 1920]
PROBE_SWEEP = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]
LSH_PROBES = [1, 2, 4, 8, 16]


def import_similarities():
    try:
        import w2vm  # noqa: F401
    except ImportError:
        # The training engine may be mid-rebuild; the indexes do not need it.
        import types
        pkg = types.ModuleType("w2vm")
        pkg.__path__ = [str(REPO / "w2vm")]
        sys.modules["w2vm"] = pkg
    import w2vm.similarities as sim
    return sim


def train_gensim(corpus, base):
    """Train gensim sg NS, 1 epoch, min_count=1, d=100; save as a w2vm base."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    t = time.perf_counter()
    model = Word2Vec(LineSentence(corpus), vector_size=100, sg=1, epochs=1, min_count=1,
                     workers=2, seed=1)
    np.save(str(base) + ".npy", np.ascontiguousarray(model.wv.vectors, dtype=np.float32))
    with open(str(base) + ".vocab.json", "w", encoding="utf-8") as fh:
        json.dump(list(model.wv.index_to_key), fh, ensure_ascii=False)
    print(f"trained gensim in {time.perf_counter() - t:.1f}s: {len(model.wv)} keys")


def load_base(base):
    with open(str(base) + ".vocab.json", encoding="utf-8") as fh:
        keys = json.load(fh)
    vectors = np.load(str(base) + ".npy", allow_pickle=False)
    if vectors.dtype != np.float32 or vectors.shape[0] != len(keys):
        raise SystemExit(f"{base}: {vectors.shape} {vectors.dtype} vs {len(keys)} keys")
    return keys, np.ascontiguousarray(vectors)


def normalize(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


def exact_topk(base_n, queries_n, k):
    sims = queries_n @ base_n.T
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return part


def recall(found, truth):
    k = truth.shape[1]
    return float(np.mean([len(np.intersect1d(f[:k], t)) / k for f, t in zip(found, truth)]))


def timed(fn, repeats):
    """Best of ``repeats`` wall times (the machine is shared), and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def qps_at(points, target):
    """Queries/s at ``target`` recall, interpolated on the (recall, qps) sweep."""
    pts = sorted(points, key=lambda p: p["recall"])
    for lo, hi in zip(pts, pts[1:]):
        if lo["recall"] <= target <= hi["recall"] and hi["recall"] > lo["recall"]:
            w = (target - lo["recall"]) / (hi["recall"] - lo["recall"])
            return float(np.exp((1 - w) * np.log(lo["qps"]) + w * np.log(hi["qps"])))
    reached = [p["qps"] for p in pts if p["recall"] >= target]
    return float(max(reached)) if reached else None


STOP_RECALL = 0.97


def interleaved_sweep(entries, values, knob, truth, queries_count, repeats):
    """Sweep ``knob`` over ``values`` for several methods at once.

    For each value the methods run one after the other, ``repeats`` rounds,
    keeping each one's best time: load from other jobs on a shared machine
    then hits all methods alike, so their ratios stay meaningful.
    """
    points = {name: [] for name in entries}
    active = list(entries)
    for v in values:
        if not active:
            break
        best = {name: float("inf") for name in active}
        found = {}
        for _ in range(repeats):
            for name in active:
                t = time.perf_counter()
                found[name] = entries[name](v)
                best[name] = min(best[name], time.perf_counter() - t)
        for name in list(active):
            r = recall(found[name], truth)
            points[name].append({knob: v, "recall": r, "qps": queries_count / best[name]})
            print(f"  {name:<36} {knob}={v!s:<6} recall@10={r:.4f}  {queries_count / best[name]:9.0f} q/s",
                  flush=True)
            # (No plateau rule: a funnel's first points repeat because ef is
            # raised to its shortlist, which would look like a plateau.)
            if r >= STOP_RECALL:
                active.remove(name)
    return points


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--vectors", help="w2vm base name (BASE.vocab.json + BASE.npy)")
    src.add_argument("--train-gensim", action="store_true",
                     help="train (once, cached in benchmarks/work/) gensim sg 1 epoch min_count=1")
    ap.add_argument("--corpus", default="/work/shared/data/corpus.txt.gz")
    ap.add_argument("--n-queries", type=int, default=1000)
    ap.add_argument("--max-base", type=int, default=0, help="use only the first N vectors (0: all)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--build-threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="timings are the best of this many runs")
    ap.add_argument("--funnel", default=None,
                    help="funnel HNSW configs 'LEVEL:ROTATION:FACTORS;...', e.g. "
                         "'50:none:4,16;25:pca:16,32' (default: 50:none:4,8,16 for w2vm vectors; "
                         "for --train-gensim also pca-rotated ones, since gensim prefixes are not trained)")
    ap.add_argument("--funnel-level", type=int, default=50, help="prefix for the IVF funnel")
    ap.add_argument("--stop-recall", type=float, default=0.97,
                    help="stop a sweep once recall@10 reaches this")
    ap.add_argument("--n-lists", type=int, default=0, help="IVF cells (0: round(2 sqrt(n)))")
    ap.add_argument("--only", default="", help="comma list of methods to run (default: all)")
    ap.add_argument("--quick", action="store_true", help="50k vectors, 300 queries")
    ap.add_argument("--kernels", action="store_true", help="also time distance kernels vs BLAS sdot")
    ap.add_argument("--build-rounds", type=int, default=0,
                    help="only compare HNSW build times: alternate hnswlib and w2vm (M=16) this many "
                         "rounds and report medians (noise-robust), then exit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "bench_index"))
    args = ap.parse_args(argv)
    if args.quick:
        args.max_base = args.max_base or 50_000
        args.n_queries = min(args.n_queries, 300)

    global STOP_RECALL
    STOP_RECALL = args.stop_recall
    if args.funnel is None:
        args.funnel = ("50:none:4,16;50:pca:8,16,32,64;25:pca:16,32,64" if args.train_gensim
                       else "50:none:4,8,16,32;25:none:8,16,32,64")
    funnels = []
    for spec in filter(None, args.funnel.split(";")):
        f_level, f_rot, f_factors = spec.split(":")
        funnels.append((int(f_level), None if f_rot == "none" else f_rot, [int(v) for v in f_factors.split(",")]))
    rotations = sorted({rot for _, rot, _ in funnels}, key=str)
    sim = import_similarities()
    if args.train_gensim:
        base = HERE / "work" / "gensim-sg-mc1"
        if not Path(str(base) + ".npy").exists():
            (HERE / "work").mkdir(exist_ok=True)
            train_gensim(args.corpus, base)
        source = "gensim 4.4.0 sg NS 1 epoch min_count=1 d=100 (truncated prefixes; not Matryoshka-trained)"
    else:
        base = args.vectors
        source = f"w2vm base {base}"
    keys, vectors = load_base(base)
    if args.max_base:
        vectors = vectors[:args.max_base]
    rng = np.random.default_rng(args.seed)
    q_rows = rng.choice(len(vectors), size=args.n_queries, replace=False)
    keep = np.ones(len(vectors), bool)
    keep[q_rows] = False
    data = np.ascontiguousarray(vectors[keep])
    queries = np.ascontiguousarray(vectors[q_rows])
    n, d = data.shape
    k = args.k
    data_n, queries_n = normalize(data), normalize(queries)
    t = time.perf_counter()
    truth = exact_topk(data_n, queries_n, k)
    exact_qps = len(queries) / (time.perf_counter() - t)
    print(f"{n} base vectors x {d}, {len(queries)} held-out queries; exact numpy: {exact_qps:.0f} q/s")

    if args.build_rounds:
        return build_rounds(sim, data, args)
    only = set(filter(None, args.only.split(",")))
    wanted = lambda name: not only or name in only  # noqa: E731
    results = {}

    def record(name, build_s, memory, points, **extra):
        results[name] = {"build_s": build_s, "memory_bytes": memory, "points": points,
                         "qps_at_0.90": qps_at(points, 0.90), "qps_at_0.95": qps_at(points, 0.95), **extra}

    n_q = len(queries)
    builds = {}      # name -> (build seconds, memory bytes, extra)
    graph, ivf, lsh = {}, {}, {}   # name -> search(value) for the three sweeps
    keep_alive = []

    def timed_build(name, fn):
        t = time.perf_counter()
        obj = fn()
        dt = time.perf_counter() - t
        print(f"{name}: build {dt:.1f}s", flush=True)
        keep_alive.append(obj)
        return obj, dt

    # ---------------------------------------------------------------- hnswlib
    import hnswlib
    for M in (16, 32):
        name = f"hnswlib M={M}"
        if not (wanted(name) or wanted("hnswlib")):
            continue

        def make(M=M):
            p = hnswlib.Index(space="cosine", dim=d)
            p.init_index(max_elements=n, M=M, ef_construction=200, random_seed=1)
            p.add_items(data, np.arange(n), num_threads=args.build_threads)
            p.set_num_threads(1)
            return p
        p, dt = timed_build(name, make)
        path = HERE / "work" / "hnswlib.bin"
        (HERE / "work").mkdir(exist_ok=True)
        p.save_index(str(path))
        builds[name] = (dt, path.stat().st_size, {})
        path.unlink()

        def search(ef, p=p):
            p.set_ef(max(ef, k))
            return p.knn_query(queries, k=k, num_threads=1)[0]
        graph[name] = search

    # ---------------------------------------------------------------- w2vm HNSW
    for M in (16, 32):
        name = f"w2vm HNSW M={M}"
        if not (wanted(name) or wanted("w2vm-hnsw")):
            continue
        idx, dt = timed_build(name, lambda M=M: sim.HNSWIndex(
            M=M, ef_construction=200, seed=1, n_threads=args.build_threads).build(data))
        builds[name] = (dt, idx.memory_bytes(), {})
        graph[name] = lambda ef, idx=idx: idx.search(queries, k=k, ef=ef, n_threads=1)[0]
    lvl = args.funnel_level
    for f_level, rot, f_factors in funnels:
        base_name = f"w2vm HNSW M=16 funnel@{f_level}" + (f" {rot}" if rot else "")
        if not (wanted(base_name) or wanted("w2vm-hnsw") or wanted("funnel")):
            continue
        idx, dt = timed_build(base_name, lambda rot=rot, f_level=f_level: sim.HNSWIndex(
            M=16, ef_construction=200, seed=1, n_threads=args.build_threads, rotation=rot).build(
                data, level=f_level))
        for sf in f_factors:
            name = f"{base_name} x{sf}"
            builds[name] = (dt, idx.memory_bytes(), {"index_level": f_level, "shortlist_factor": sf, "rotation": rot})
            graph[name] = lambda ef, idx=idx, sf=sf: idx.search(
                queries, k=k, ef=ef, shortlist_factor=sf, n_threads=1)[0]

    # ---------------------------------------------------------------- faiss
    import faiss
    name = "faiss HNSW32"
    if wanted(name) or wanted("faiss"):
        def make():
            faiss.omp_set_num_threads(args.build_threads)
            fi = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
            fi.hnsw.efConstruction = 200
            fi.add(data_n)
            return fi
        fi, dt = timed_build(name, make)
        builds[name] = (dt, len(faiss.serialize_index(fi)), {})

        def search(ef, fi=fi):
            faiss.omp_set_num_threads(1)
            fi.hnsw.efSearch = max(ef, k)
            return fi.search(queries_n, k)[1]
        graph[name] = search
    n_lists = args.n_lists or int(round(2 * np.sqrt(n)))
    name = f"faiss IVF-Flat {n_lists}"
    if wanted(name) or wanted("faiss") or wanted("ivf"):
        def make():
            faiss.omp_set_num_threads(args.build_threads)
            quant = faiss.IndexFlatIP(d)
            fi = faiss.IndexIVFFlat(quant, d, n_lists, faiss.METRIC_INNER_PRODUCT)
            fi.train(data_n)
            fi.add(data_n)
            keep_alive.append(quant)
            return fi
        fi, dt = timed_build(name, make)
        builds[name] = (dt, len(faiss.serialize_index(fi)), {})

        def search(p, fi=fi):
            faiss.omp_set_num_threads(1)
            fi.nprobe = p
            return fi.search(queries_n, k)[1]
        ivf[name] = search
    ivf_configs = [(None, None, "random"), (None, None, "k-means++")] + \
        [(lvl, r, "random") for r in rotations]
    for lvl_ivf, rot, init in ivf_configs:
        name = (f"w2vm IVF-Flat {n_lists}" + (f" funnel@{lvl_ivf}" if lvl_ivf else "") + (f" {rot}" if rot else "")
                + (" init=k-means++" if init == "k-means++" else ""))
        if not (wanted(name) or wanted("ivf") or wanted("w2vm-ivf")):
            continue
        idx, dt = timed_build(name, lambda lvl_ivf=lvl_ivf, rot=rot, init=init: sim.IVFFlatIndex(
            n_lists=n_lists, seed=1, n_threads=args.build_threads, rotation=rot, init=init).build(
                data, level=lvl_ivf))
        builds[name] = (dt, idx.memory_bytes(), {"index_level": lvl_ivf, "rotation": rot, "init": init})
        ivf[name] = lambda p, idx=idx: idx.search(queries, k=k, n_probe=p, n_threads=1)[0]
    lsh_results = {}
    if wanted("faiss LSH") or wanted("faiss") or wanted("lsh"):
        # faiss's IndexLSH is a flat Hamming scan of n_bits codes: one point per n_bits.
        pts = []
        for nbits in (256, 512, 1024, 2048):
            def make(nbits=nbits):
                faiss.omp_set_num_threads(args.build_threads)
                fi = faiss.IndexLSH(d, nbits, True, True)
                fi.train(data_n)
                fi.add(data_n)
                faiss.omp_set_num_threads(1)
                return fi
            fi, dt = timed_build(f"faiss LSH nbits={nbits}", make)
            best, ids = timed(lambda: fi.search(queries_n, k)[1], args.repeats)
            pts.append({"n_bits": nbits, "recall": recall(ids, truth), "qps": n_q / best, "build_s": dt,
                        "memory_bytes": len(faiss.serialize_index(fi))})
            print(f"  faiss LSH nbits={nbits:<5} recall@10={pts[-1]['recall']:.4f}  {n_q / best:9.0f} q/s")
        lsh_results["faiss LSH"] = (pts[-1]["build_s"], pts[-1]["memory_bytes"], pts)
    name = "w2vm LSH"
    if wanted(name) or wanted("lsh") or wanted("w2vm-lsh"):
        idx, dt = timed_build(name, lambda: sim.LSHIndex(
            n_tables=16, seed=1, n_threads=args.build_threads).build(data))
        builds[name] = (dt, idx.memory_bytes(), {"n_bits": idx.bits, "n_tables": 16})
        lsh[name] = lambda p, idx=idx: idx.search(queries, k=k, n_probe=p, n_threads=1)[0]

    # ---------------------------------------------------------------- sweeps
    def store(points):
        for name, pts in points.items():
            dt, mem, extra = builds[name]
            record(name, dt, mem, pts, **extra)
    store(interleaved_sweep(graph, EF_SWEEP, "ef", truth, n_q, args.repeats))
    store(interleaved_sweep(ivf, PROBE_SWEEP, "n_probe", truth, n_q, args.repeats))
    store(interleaved_sweep(lsh, LSH_PROBES, "n_probe", truth, n_q, args.repeats))
    for name, (dt, mem, pts) in lsh_results.items():
        record(name, dt, mem, pts)

    kernels = kernel_timings(sim, d) if args.kernels else None

    # ---------------------------------------------------------------- report
    print()
    print(f"{'method':<36} {'build s':>8} {'memory MB':>10} {'q/s @0.90':>10} {'q/s @0.95':>10} {'max recall':>10}")
    for name, r in results.items():
        mem = f"{r['memory_bytes'] / 2**20:.0f}" if r["memory_bytes"] else "-"
        f = lambda v: f"{v:.0f}" if v else "-"  # noqa: E731
        print(f"{name:<36} {r['build_s']:8.1f} {mem:>10} {f(r['qps_at_0.90']):>10} {f(r['qps_at_0.95']):>10} "
              f"{max(p['recall'] for p in r['points']):10.3f}")
    ratios = compare(results, n_lists)
    for key, val in ratios.items():
        print(f"{key}: {round(val, 3) if isinstance(val, float) else val}")
    if kernels:
        print("distance kernels:", json.dumps(kernels))

    import faiss as _f
    import hnswlib as _h  # noqa: F401
    out = {
        "command": " ".join([sys.executable] + sys.argv),
        "source": source, "n_base": n, "dim": d, "n_queries": n_q, "k": k,
        "build_threads": args.build_threads, "query_threads": 1, "repeats": args.repeats,
        "exact_numpy_qps": exact_qps,
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(),
                    "processor": platform.processor()},
        "versions": versions(sim),
        "note": "shared 2-core machine: other jobs may run concurrently; timings are best of --repeats",
        "results": results, "ratios": ratios, "kernels": kernels,
    }
    Path(args.out + ".json").write_text(json.dumps(out, indent=1))
    plot(results, args.out + ".png", f"{n} x {d} ({source.split(' (')[0]}), {n_q} queries, 1 thread")
    print(f"wrote {args.out}.json and {args.out}.png")


def build_rounds(sim, data, args):
    """Alternate hnswlib and w2vm HNSW builds (M=16, ef_construction=200); medians."""
    import hnswlib
    n, d = data.shape
    times = {"hnswlib M=16": [], "w2vm HNSW M=16": []}
    for r in range(args.build_rounds):
        t = time.perf_counter()
        p = hnswlib.Index(space="cosine", dim=d)
        p.init_index(max_elements=n, M=16, ef_construction=200, random_seed=1)
        p.add_items(data, np.arange(n), num_threads=args.build_threads)
        times["hnswlib M=16"].append(time.perf_counter() - t)
        del p
        t = time.perf_counter()
        idx = sim.HNSWIndex(M=16, ef_construction=200, seed=1, n_threads=args.build_threads).build(data)
        times["w2vm HNSW M=16"].append(time.perf_counter() - t)
        del idx
        print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), flush=True)
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratio = med["w2vm HNSW M=16"] / med["hnswlib M=16"]
    print(f"median build: {med}; ratio w2vm/hnswlib = {ratio:.3f}")
    out = {"command": " ".join([sys.executable] + sys.argv), "n_base": n, "dim": d,
           "build_threads": args.build_threads, "rounds": times, "median_s": med, "ratio": ratio,
           "machine": {"cores": os.cpu_count()}, "versions": versions(sim)}
    Path(args.out + ".builds.json").write_text(json.dumps(out, indent=1))


def compare(results, n_lists):
    out = {}
    h = results.get("hnswlib M=16")
    w = results.get("w2vm HNSW M=16")
    if h and w:
        out["build_ratio_w2vm_vs_hnswlib_M16"] = w["build_s"] / h["build_s"]
        for t in ("0.90", "0.95"):
            if h[f"qps_at_{t}"] and w[f"qps_at_{t}"]:
                out[f"qps_ratio_full_at_{t}"] = w[f"qps_at_{t}"] / h[f"qps_at_{t}"]
            best = None
            for name, f in results.items():
                if name.startswith("w2vm HNSW M=16 funnel@") and f[f"qps_at_{t}"] and h[f"qps_at_{t}"]:
                    ratio = f[f"qps_at_{t}"] / h[f"qps_at_{t}"]
                    if best is None or ratio > best[0]:
                        best = (ratio, name)
            out[f"qps_ratio_funnel_at_{t}"] = best and best[0]
            out[f"best_funnel_at_{t}"] = best and best[1]
    fi = results.get(f"faiss IVF-Flat {n_lists}")
    for suffix, key in (("", "ivf_qps_ratio_at_0.90"), (" init=k-means++", "ivf_kmeanspp_init_qps_ratio_at_0.90")):
        wi = results.get(f"w2vm IVF-Flat {n_lists}{suffix}")
        if fi and wi and fi["qps_at_0.90"] and wi["qps_at_0.90"]:
            out[key] = wi["qps_at_0.90"] / fi["qps_at_0.90"]
    return out


def kernel_timings(sim, d):
    """One query-row distance, per pair: SIMD kernel vs plain loop vs BLAS sdot (all from C),
    and batch BLAS sgemm (numpy ``@``) for comparison. Best of 5; ns per pair."""
    from w2vm.similarities import _common
    rng = np.random.default_rng(0)
    out = {"kernel": _common.KERNEL}
    for dim in sorted({25, 50, d}):
        a = rng.standard_normal((200, dim)).astype(np.float32)
        # 20k rows x dim: larger than L1/L2 at d=100, like an index's rows.
        b = rng.standard_normal((20000, dim)).astype(np.float32)
        pairs = 200 * 20000
        for which, label in ((0, "simd"), (1, "plain_loop"), (2, "blas_sdot")):
            best = min(timed(lambda: _common.kernel_timing(a, b, 1, which), 1)[0] for _ in range(5))
            out[f"d{dim}_{label}_ns_per_pair"] = best / pairs * 1e9
        best = min(timed(lambda: a @ b.T, 1)[0] for _ in range(5))
        out[f"d{dim}_blas_sgemm_batch_ns_per_pair"] = best / pairs * 1e9
    return out


def versions(sim):
    import faiss
    import hnswlib  # noqa: F401
    from importlib.metadata import version, PackageNotFoundError
    v = {}
    for pkg in ("numpy", "scipy", "hnswlib", "faiss-cpu", "gensim", "Cython"):
        try:
            v[pkg] = version(pkg)
        except PackageNotFoundError:
            v[pkg] = None
    try:
        v["w2vm"] = version("w2vm")
    except PackageNotFoundError:
        v["w2vm"] = "source checkout"
    from w2vm.similarities import _common
    v["w2vm_distance_kernel"] = _common.KERNEL
    try:
        cfg = np.show_config(mode="dicts")
        v["blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:  # numpy < 1.25
        v["blas"] = None
    v["faiss_compile_options"] = faiss.get_compile_options() if hasattr(faiss, "get_compile_options") else None
    return v


def plot(results, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot")
        return
    fig, ax = plt.subplots(figsize=(9, 6))
    for name, r in results.items():
        pts = sorted(r["points"], key=lambda p: p["recall"])
        style = "-" if name.startswith("w2vm") else "--"
        ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts], style, marker="o", ms=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries / s (1 thread, log)")
    ax.set_xlim(0.5, 1.0)
    ax.axvline(0.90, color="grey", lw=0.5)
    ax.axvline(0.95, color="grey", lw=0.5)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
