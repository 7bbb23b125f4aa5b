"""``w2vm recall``: the item2vec vector-recall pipeline on an interaction log, with a metric table."""
import argparse
import os

from w2vm.cli.common import CLIError, dumps, int_list, positive_int, print_table, require
from w2vm.cli.progress import make_reporter


def add_parser(sub, parents):
    p = sub.add_parser(
        "recall", parents=parents, help="item2vec recall on an interaction log: recall@K, NDCG, baselines",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the vector-recall pipeline of w2vm.recall on a (gzipped) TSV of user_id, item_id, "
                    "timestamp[, rating]: split (temporal leave-last-out or random), train item2vec with "
                    "Matryoshka levels, build user vectors, recall the top-K unseen items per user through an "
                    "index, and print recall@K, hit@K, NDCG@K, MRR and coverage next to the popularity and "
                    "random baselines. A header line naming the columns is optional.",
        epilog="examples:\n"
               "  w2vm recall ratings.tsv.gz\n"
               "  w2vm recall ratings.tsv.gz --ks 10,50,100 --vector-size 100 --levels 25,50,100 --index brute,hnsw\n"
               "  w2vm recall ratings.tsv.gz --split random --user recency --half-life 5 --json\n"
               "  w2vm recall ratings.tsv.gz --min-weight 4 --window all --epochs 20")
    p.add_argument("log", metavar="LOG", help="interactions: TSV (optionally .gz) user_id, item_id, timestamp[, weight]")
    p.add_argument("--split", choices=("temporal", "random"), default="temporal",
                   help="temporal: hold out each user's last timestamp group (default); random: a random "
                        "--test-fraction of events")
    p.add_argument("--test-fraction", type=float, default=0.2, metavar="F", help="for --split random (default 0.2)")
    p.add_argument("--min-weight", type=float, metavar="W", help="keep only events with weight (rating) >= W")
    p.add_argument("--session-gap", type=float, metavar="T",
                   help="split training histories into sessions at gaps > T timestamp units")
    p.add_argument("--ks", type=int_list, default=[10, 50, 100, 200], metavar="K1,K2,..",
                   help="cut-offs (default 10,50,100,200)")
    m = p.add_argument_group("item2vec")
    m.add_argument("--vector-size", type=positive_int, default=64, metavar="D", help="(default 64)")
    m.add_argument("--levels", type=int_list, metavar="M1,M2,..", help="Matryoshka levels (default D/4,D/2,D)")
    m.add_argument("--window", default="20", metavar="N|all",
                   help="context window, or 'all' for every pair within a sequence (default 20)")
    m.add_argument("--negative", type=positive_int, default=5, help="(default 5)")
    m.add_argument("--ns-exponent", type=float, default=0.0, help="negative-sampling exponent (default 0: uniform)")
    m.add_argument("--sample", type=float, default=0.0, help="frequent-item down-sampling (default 0: off)")
    m.add_argument("--epochs", type=positive_int, default=10, help="(default 10)")
    m.add_argument("--alpha", type=float, default=0.05, help="initial learning rate (default 0.05)")
    m.add_argument("--workers", type=positive_int, default=2, help="training threads (default 2)")
    m.add_argument("--seed", type=int, default=1, help="(default 1)")
    u = p.add_argument_group("users and retrieval")
    u.add_argument("--user", choices=("mean", "recency", "last"), default="last",
                   help="user vector: mean of all items, recency-weighted mean, or mean of the last N (default)")
    u.add_argument("--last-n", type=positive_int, default=20, metavar="N", help="for --user last (default 20)")
    u.add_argument("--half-life", type=float, default=10.0, metavar="H",
                   help="for --user recency, in events (default 10)")
    u.add_argument("--index", type=lambda s: s.split(","), default=["brute"], metavar="KIND[,KIND]",
                   help="indexes to compare: brute, hnsw, ivf, lsh; KIND@M walks prefix M and re-ranks "
                        "on the full vector, e.g. hnsw,hnsw@16 (default brute)")
    u.add_argument("--index-level", type=positive_int, metavar="M",
                   help="walk approximate indexes at prefix M, re-rank on the full vector (funnel)")
    u.add_argument("--ef", type=positive_int, default=200, help="HNSW search beam (default 200)")
    u.add_argument("--n-probe", type=positive_int, help="IVF lists / LSH buckets probed per query "
                                                        "(default: the index's)")
    u.add_argument("--no-baselines", action="store_true", help="skip the popularity and random baselines")
    u.add_argument("--two-tower", action="store_true",
                   help="also train the PyTorch two-tower model (needs: pip install 'w2vm[torch]')")
    u.add_argument("--two-tower-epochs", type=positive_int, default=3, metavar="N", help="(default 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def _search_params(args):
    out = {"hnsw": {"ef": args.ef}}
    if args.n_probe:
        out["ivf"] = {"n_probe": args.n_probe}
        out["lsh"] = {"n_probe": args.n_probe}
    return out


def run(args):
    if not os.path.exists(args.log):
        raise CLIError(f"{args.log}: no such file")
    if args.window == "all":
        window = "all"
    else:
        try:
            window = int(args.window)
        except ValueError:
            raise CLIError(f"--window must be a positive integer or 'all', got {args.window!r}") from None
        if window < 1:
            raise CLIError(f"--window must be >= 1, got {window}")
    for spec in args.index:
        kind, at, level = spec.partition("@")
        if kind not in ("brute", "hnsw", "ivf", "lsh") or (at and not level.isdigit()):
            raise CLIError(f"--index: unknown index {spec!r} (expected brute, hnsw, ivf or lsh, "
                           f"optionally with @M, e.g. hnsw@25)")
    if args.two_tower:
        require("torch", "--two-tower", "torch")
    # log lines (not a terminal) every 5 s at most, and one as each step starts
    reporter = make_reporter("quiet" if args.quiet or args.json else "auto", interval=5.0)
    task = reporter.task("recall", "recall pipeline")

    def log(message):
        reporter.event("recall", message)

    def progress(step, n_steps, label):
        task.update(fraction=step / n_steps, note=label, force=True)

    try:
        with task.tick_while():
            out = _run(args, window, log, progress)
        task.finish(f"recall pipeline done in {task.elapsed:.1f}s")
    finally:
        reporter.close()
    return _print(args, out)


def _run(args, window, log, progress):
    from w2vm.recall.pipeline import run_pipeline

    item2vec = dict(vector_size=args.vector_size, window=window, negative=args.negative,
                    ns_exponent=args.ns_exponent, sample=args.sample, epochs=args.epochs, alpha=args.alpha)
    return run_pipeline(
        args.log, split=args.split, ks=args.ks, test_fraction=args.test_fraction, min_weight=args.min_weight,
        session_gap=args.session_gap, item2vec=item2vec, levels=args.levels, user_method=args.user,
        last_n=args.last_n, half_life=args.half_life, indexes=args.index, index_level=args.index_level,
        search_params=_search_params(args), baselines=() if args.no_baselines else ("popularity", "random"),
        two_tower={"epochs": args.two_tower_epochs} if args.two_tower else None, seed=args.seed,
        workers=args.workers, log=log, progress=progress)


def _print(args, out):
    if args.json:
        print(dumps(out))
        return 0
    ks = out["info"]["ks"]
    cols = [f"recall@{k}" for k in ks] + [f"ndcg@{ks[0]}", f"hit@{ks[-1]}", "mrr", f"coverage@{ks[-1]}"]
    rows = []
    for name, res in out["results"].items():
        rows.append([name] + [f"{res[c]:.4f}" for c in cols] + [f"{res['train_s']:.1f}", f"{res['recall_s']:.2f}"])
    print_table(["method"] + cols + ["train s", "recall s"], rows)
    info = out["info"]
    print(f"\n{info['eval_users']} users evaluated ({info['split']} split, {info['test_rows']} test events); "
          f"total {info['total_s']:.1f} s")
    return 0
