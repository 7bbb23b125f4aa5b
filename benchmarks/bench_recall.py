"""Vector recall on MovieLens-100k: item2vec (per Matryoshka level, exact and HNSW) vs baselines.

Protocol (``../shared/docs/benchmarks.md``): hold out each user's last
timestamp group; train item2vec on the rest; user = mean of the last 20
items; recall the top-K unseen items per user; score recall@K, hit@K,
NDCG@K, MRR and coverage for popularity, random, item2vec at each level
with exact search, item2vec through HNSW (full vector, and a funnel walking
the shortest prefix), the optional PyTorch two-tower model, and, with
``--anchor``, gensim item2vec with the protocol's anchor settings, all in
one run on the same split.

Targets (issue 6): item2vec recall@50 >= 1.3x popularity; HNSW recall
within 1% of exact; the pipeline (load, split, train, user vectors, recall
for all users, evaluate) under 30 s.

Usage::

    python benchmarks/bench_recall.py                      # d=100, levels 25,50,100, two-tower if torch is there
    python benchmarks/bench_recall.py --anchor --repeat 3  # + gensim anchor; medians of 3 runs
    python benchmarks/bench_recall.py --no-two-tower --out /tmp/bench_recall.json

Never collected by pytest. MovieLens-100k is read in place (research use
only; never copied into the repository).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
DEFAULT_DATA = os.path.join(REPO, "..", "shared", "data", "recsys", "ml-100k.ratings.tsv.gz")
DEFAULT_OUT = os.path.join(HERE, "results", "bench_recall.json")
TABLE_METRICS = ("recall@10", "recall@50", "recall@100", "ndcg@10", "hit@50", "mrr", "coverage@100")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="ratings TSV (default: MovieLens-100k in ../shared/data)")
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--levels", default="25,50,100")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--window", default="20")
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--last-n", type=int, default=20)
    p.add_argument("--ks", default="10,50,100,200")
    p.add_argument("--ef", type=int, default=200, help="HNSW search beam")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1, help="runs; metrics from the first, timings as medians")
    p.add_argument("--no-two-tower", action="store_true", help="skip the PyTorch two-tower row")
    p.add_argument("--two-tower-epochs", type=int, default=3)
    p.add_argument("--anchor", action="store_true",
                   help="also run gensim item2vec with the protocol's anchor settings (about a minute)")
    p.add_argument("--out", default=DEFAULT_OUT)
    return p.parse_args(argv)


def versions():
    import numpy
    import scipy

    import w2vm
    out = {"python": platform.python_version(), "w2vm": w2vm.__version__, "numpy": numpy.__version__,
           "scipy": scipy.__version__}
    for name in ("torch", "gensim"):
        try:
            out[name] = __import__(name).__version__
        except ImportError:
            out[name] = None
    try:
        cfg = numpy.show_config(mode="dicts")
        out["blas"] = cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:
        out["blas"] = None
    return out


def gensim_anchor(data_path, last_n, ks, seed):
    """benchmarks.md's anchor: gensim sg d=64 window 20 negative 10 ns_exponent 0, 30 epochs, last-20 mean."""
    import numpy as np
    from gensim.models import Word2Vec as GensimW2V

    from w2vm.recall import ItemRecall, evaluate, leave_last_out, load_interactions, sessionize, user_vectors
    log = load_interactions(data_path)
    train, test = leave_last_out(log)
    users = np.flatnonzero(test.counts_per_user() > 0)
    t0 = time.perf_counter()
    g = GensimW2V(list(sessionize(train, min_length=2)), vector_size=64, sg=1, window=20, negative=10,
                  ns_exponent=0.0, min_count=1, epochs=30, workers=2, seed=seed)
    train_s = time.perf_counter() - t0
    V = np.zeros((train.n_items, 64), np.float32)
    for code, label in enumerate(train.item_labels.tolist()):
        if str(label) in g.wv.key_to_index:
            V[code] = g.wv[str(label)]
    t0 = time.perf_counter()
    U = user_vectors(train, V, method="last", last_n=last_n)
    recs, _ = ItemRecall(V).recommend(U, k=max(ks), exclude=train, users=users)
    res = evaluate(recs, test, users=users, ks=ks, n_items=log.n_items)
    res.update(train_s=train_s, recall_s=time.perf_counter() - t0)
    return res


def main(argv=None):
    args = parse_args(argv)
    from w2vm.recall import format_table
    from w2vm.recall.pipeline import run_pipeline

    if not os.path.exists(args.data):
        sys.exit(f"{args.data}: not found (MovieLens-100k lives in ../shared/data/recsys; see its README)")
    two_tower = None
    if not args.no_two_tower:
        try:
            import torch  # noqa: F401
            two_tower = {"epochs": args.two_tower_epochs}
        except ImportError:
            print("torch is not installed: no two-tower row (pip install 'w2vm[torch]')", file=sys.stderr)
    levels = [int(x) for x in args.levels.split(",")]
    ks = [int(x) for x in args.ks.split(",")]
    window = args.window if args.window == "all" else int(args.window)
    item2vec = dict(vector_size=args.vector_size, epochs=args.epochs, window=window, negative=args.negative,
                    alpha=args.alpha)
    runs = []
    for r in range(args.repeat):
        t0 = time.perf_counter()
        out = run_pipeline(args.data, split="temporal", ks=ks, item2vec=item2vec, levels=levels,
                           user_method="last", last_n=args.last_n,
                           indexes=("hnsw", f"hnsw@{levels[0]}"),
                           search_params={"hnsw": {"ef": args.ef}}, index_params={"hnsw": {"seed": args.seed}},
                           two_tower=two_tower, seed=args.seed, workers=args.workers,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
        out["wall_s"] = time.perf_counter() - t0
        runs.append(out)
    results = runs[0]["results"]
    for name in results:   # timings: medians over the runs
        for key in ("train_s", "recall_s", "build_s", "two_tower_train_s"):
            if key in results[name]:
                results[name][key] = statistics.median(run["results"][name][key] for run in runs)
    if args.anchor:
        anchors = [gensim_anchor(args.data, args.last_n, ks, args.seed) for _ in range(args.repeat)]
        res = anchors[0]
        res["train_s"] = statistics.median(a["train_s"] for a in anchors)
        res["recall_s"] = statistics.median(a["recall_s"] for a in anchors)
        results["gensim anchor d=64 (30 ep)"] = res

    info = runs[0]["info"]
    d = info["vector_size"]
    pop, best = results["popularity"], results[f"item2vec d={d} exact"]
    hnsw = results[f"item2vec d={d} hnsw"]
    pipeline_s = [run["info"]["load_s"] + run["info"]["item2vec_train_s"]
                  + run["results"][f"item2vec d={d} exact"]["recall_s"] for run in runs]
    targets = {
        "recall@50 ratio vs popularity (target >= 1.3)": best["recall@50"] / pop["recall@50"],
        "best-level recall@50 ratio vs popularity": max(v["recall@50"] for k, v in results.items()
                                                        if k.startswith("item2vec")) / pop["recall@50"],
        "hit@50 ratio vs popularity (anchor: 1.45)": best["hit@50"] / pop["hit@50"],
        "hnsw recall@50 / exact (target >= 0.99)": hnsw["recall@50"] / best["recall@50"],
        "pipeline s: load+split+train+users+recall+eval (target < 30)": statistics.median(pipeline_s),
        "whole benchmark run s (all rows)": statistics.median(run["wall_s"] for run in runs),
    }
    metrics = [m for m in TABLE_METRICS if m in best] + ["train_s", "recall_s"]
    print(format_table(results, metrics=metrics))
    print()
    for key, value in targets.items():
        print(f"{key}: {value:.3f}")
    record = {
        "command": "python " + " ".join([os.path.relpath(__file__, os.getcwd())] + (argv or sys.argv[1:])),
        "data": os.path.basename(args.data),
        "versions": versions(),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor(),
                    "load_average": list(os.getloadavg())},
        "params": vars(args), "info": info, "results": results, "targets": targets, "repeat": args.repeat,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1, default=float)
        fh.write("\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
