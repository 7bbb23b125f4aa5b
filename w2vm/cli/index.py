"""``w2vm index build`` / ``w2vm index query``: approximate nearest-neighbour indexes over a model."""
import argparse
import os
import sys
import time

from w2vm.cli.common import CLIError, dumps, int_list, load_vectors, positive_int
from w2vm.cli.progress import make_reporter

INDEX_TYPES = {"hnsw": "hnsw", "ivf": "ivf_flat", "ivf_flat": "ivf_flat", "lsh": "lsh", "brute": "brute"}


def add_parser(sub, parents):
    group = sub.add_parser(
        "index", parents=parents, help="build and query approximate nearest-neighbour indexes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Approximate nearest-neighbour indexes (w2vm.similarities) over a model's vectors. "
                    "An index built at --level M walks the prefix v[:M] and re-ranks its shortlist on the "
                    "full vectors (Matryoshka funnel search).",
        epilog="examples:\n"
               "  w2vm index build model words.hnsw --type hnsw --level 25 --M 16 --ef-construction 200\n"
               "  w2vm index query words.hnsw king queen --topn 5 --ef 64\n"
               "  w2vm index build model words.ivf --type ivf --n-lists 256")
    group.set_defaults(group_parser=group)
    isub = group.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")

    b = isub.add_parser(
        "build", parents=parents, help="build an index from a model and save it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Build an index over MODEL's vectors and save it as INDEX.json + INDEX.*.npy. The index "
                    "references MODEL.npy instead of copying it (unless --copy-vectors or --rotation pca); "
                    "keep them together.",
        epilog="example:\n  w2vm index build model words.hnsw --type hnsw --level 25")
    b.add_argument("model", metavar="MODEL", help="a w2vm base (MODEL.vocab.json + MODEL.npy)")
    b.add_argument("index", metavar="INDEX", help="output name (INDEX.json and INDEX.*.npy are written)")
    b.add_argument("--type", choices=sorted(INDEX_TYPES), default="hnsw", help="index kind (default hnsw)")
    b.add_argument("--level", type=positive_int, metavar="M",
                   help="prefix the structure is built and walked on (default: the full vector)")
    b.add_argument("--metric", choices=("cosine", "ip", "l2"), default="cosine", help="(default cosine)")
    b.add_argument("--shortlist-factor", type=positive_int, default=4, metavar="F",
                   help="candidates kept per result before re-ranking (default 4)")
    b.add_argument("--rotation", choices=("pca",), help="PCA-rotate first: funnel search for vectors trained "
                                                       "without levels")
    b.add_argument("--threads", type=positive_int, metavar="N", help="build threads (default: all cores)")
    b.add_argument("--seed", type=int, help="random seed")
    b.add_argument("--copy-vectors", action="store_true", help="store a copy of the vectors with the index")
    b.add_argument("--quiet", "-q", action="store_true",
                   help="no progress on stderr (default: elapsed time on a terminal, log lines otherwise)")
    h = b.add_argument_group("hnsw")
    h.add_argument("--M", dest="M", type=positive_int, default=16, help="graph degree (default 16)")
    h.add_argument("--ef-construction", type=positive_int, default=200, help="build beam width (default 200)")
    h.add_argument("--ef", type=positive_int, default=50, help="default search beam width (default 50)")
    iv = b.add_argument_group("ivf and lsh")
    iv.add_argument("--n-lists", type=positive_int, help="IVF lists (default: about sqrt(n))")
    iv.add_argument("--n-probe", type=positive_int, help="default lists (IVF) / buckets (LSH) probed per query")
    iv.add_argument("--n-iter", type=int, default=10, help="IVF k-means iterations (default 10)")
    iv.add_argument("--n-bits", type=positive_int, help="LSH bits per table (default: automatic)")
    iv.add_argument("--n-tables", type=positive_int, default=16, help="LSH tables (default 16)")
    b.set_defaults(func=run_build)

    q = isub.add_parser(
        "query", parents=parents, help="nearest neighbours of words through an index",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search an index for the neighbours of WORDs (each word on its own). The query vectors "
                    "come from the model the index was built from (found through the index's reference to "
                    "MODEL.npy) or from --vectors.",
        epilog="example:\n  w2vm index query words.hnsw king whale --topn 5 --ef 100 --json")
    q.add_argument("index", metavar="INDEX", help="an index saved by 'w2vm index build'")
    q.add_argument("words", nargs="+", metavar="WORD")
    q.add_argument("--vectors", metavar="MODEL", help="w2vm base of the query vectors (default: the one the "
                                                     "index references)")
    q.add_argument("--topn", type=positive_int, default=10, metavar="N", help="(default 10)")
    q.add_argument("--ef", type=positive_int, help="HNSW beam width for this query")
    q.add_argument("--n-probe", type=positive_int, help="IVF/LSH probes for this query")
    q.add_argument("--funnel", type=int_list, metavar="M1,M2,..",
                   help="funnel stages, from the index's level up, e.g. 25,50,100: walk at 25, re-rank at 50 then "
                        "100 (default: re-rank once on the full vector)")
    q.add_argument("--json", action="store_true", help="one JSON object per word")
    q.set_defaults(func=run_query)


def run_build(args):
    from w2vm.similarities import INDEX_CLASSES

    kind = INDEX_TYPES[args.type]
    kv = load_vectors(args.model, "auto")
    folder = os.path.dirname(os.path.abspath(args.index))
    if not os.path.isdir(folder):
        raise CLIError(f"{args.index}: the folder {folder} does not exist")
    if args.level is not None and args.level > kv.vector_size:
        raise CLIError(f"--level {args.level}: larger than the model's dimension {kv.vector_size}", code=2)
    common = dict(metric=args.metric, shortlist_factor=args.shortlist_factor, n_threads=args.threads,
                  rotation=args.rotation)
    specific = {
        "hnsw": dict(M=args.M, ef_construction=args.ef_construction, ef=args.ef, seed=args.seed),
        "ivf_flat": dict(n_lists=args.n_lists, n_probe=args.n_probe, n_iter=args.n_iter, seed=args.seed),
        "lsh": dict(n_bits=args.n_bits, n_tables=args.n_tables, seed=args.seed,
                    **({"n_probe": args.n_probe} if args.n_probe else {})),
        "brute": {},
    }[kind]
    try:
        index = INDEX_CLASSES[kind](**common, **specific)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc), code=2) from None
    reporter = make_reporter("quiet" if args.quiet else "auto", interval=5.0)
    task = reporter.task("index", f"building a {kind} index of {len(kv)} vectors")
    start = time.perf_counter()
    try:
        # the build is one native call that reports nothing: the bar shows it is alive and for how long
        with task.tick_while():
            index.build(kv, level=args.level)
    finally:
        reporter.close()
    seconds = time.perf_counter() - start
    vectors_file = None
    npy = os.fspath(args.model) + ".npy"
    if not args.copy_vectors and args.rotation is None and os.path.exists(npy):
        vectors_file = npy
    index.save(args.index, vectors_file=vectors_file)
    print(f"built a {kind} index of {len(index)} vectors (walked at level {index.index_level} of "
          f"{index.dim}) in {seconds:.1f}s; saved {args.index}.json", file=sys.stderr)
    return 0


def _vectors_base_of(index_path):
    import json

    try:
        with open(index_path + ".json", encoding="utf-8") as fh:
            ref = json.load(fh).get("vectors_file")
    except (OSError, ValueError, AttributeError):
        return None
    if not ref or not isinstance(ref, str) or not ref.endswith(".npy") or os.path.isabs(ref) or "\0" in ref:
        return None  # 'index build' writes a relative path to a .npy, nothing else
    base = os.path.join(os.path.dirname(os.path.abspath(index_path)), ref[:-4])
    return base if os.path.exists(base + ".vocab.json") else None


def run_query(args):
    from w2vm.similarities import BaseIndex

    if not os.path.exists(args.index + ".json"):
        raise CLIError(f"{args.index}: no index there ({args.index}.json not found)")
    ref_base = _vectors_base_of(args.index)
    base = args.vectors or ref_base
    if base is None:
        raise CLIError("this index does not reference a model: pass --vectors MODEL", code=2)
    # BaseIndex.load follows a reference only inside the index's folder; the command line also
    # follows one into another folder (index build writes them), when it leads to a w2vm model.
    index = BaseIndex.load(args.index, mmap="r", vectors_file=None if ref_base is None else ref_base + ".npy")
    kv = load_vectors(base, "auto")
    if kv.vector_size != index.dim or len(kv) < len(index):
        raise CLIError(f"{base} ({len(kv)} x {kv.vector_size}) is not the model of this index "
                       f"({len(index)} x {index.dim})")
    params = {}
    if args.ef is not None:
        params["ef"] = args.ef
    if args.n_probe is not None:
        params["n_probe"] = args.n_probe
    missing = [w for w in args.words if w not in kv]
    if missing:
        from w2vm.cli.query import not_in_vocabulary

        raise CLIError(not_in_vocabulary(kv, missing))
    try:
        for word in args.words:
            # one extra result: the word itself comes back first and is dropped, as most_similar does
            ids, scores = index.search(kv.get_vector(word), k=args.topn + 1, levels=args.funnel, **params)
            result = [(kv.index_to_key[i], float(s)) for i, s in zip(ids.tolist(), scores.tolist())
                      if i >= 0 and kv.index_to_key[i] != word][: args.topn]
            if args.json:
                print(dumps({"word": word, "index": args.index, "results": [[w, s] for w, s in result]}))
            else:
                print(f"{word} ({index.kind} index, walked at level {index.index_level}):")
                width = max([len(str(w)) for w, _ in result] + [4])
                for rank, (w, s) in enumerate(result, 1):
                    print(f"  {rank:>3}. {str(w):<{width}}  {s:.4f}")
    except ValueError as exc:
        raise CLIError(str(exc), code=2) from None
    return 0
