"""``w2vm demo`` (train on the bundled corpus, show what levels do) and ``w2vm info`` (build configuration)."""
import argparse
import os
import time
from importlib.resources import files

from w2vm.cli.common import CLIError, int_list, positive_int

DEMO_WORDS = ("king", "ship", "sister", "france", "whale")


def demo_corpus_path():
    """The bundled public-domain demo corpus (300k tokens, gzipped, one sentence per line)."""
    return str(files("w2vm") / "data" / "demo-corpus.txt.gz")


def find_eval_file(name):
    """An evaluation set by file name, from gensim's bundled test data when gensim is installed.

    The package ships no evaluation sets of its own (their licences differ
    from ours), so without gensim the demo table needs ``--analogies/--pairs``.
    """
    try:
        from gensim.test.utils import datapath
    except ImportError:
        return None
    path = datapath(name)
    return path if os.path.exists(path) else None


def add_parser(sub, parents):
    p = sub.add_parser(
        "demo", parents=parents, help="train on the bundled demo corpus and show per-level results",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train skip-gram with levels on the bundled demo corpus (300k tokens of public-domain "
                    "English, a few seconds), print analogy accuracy and WordSim-353 Spearman per level, and "
                    "the nearest neighbours of a few words at the smallest and the largest level. The "
                    "evaluation sets come from gensim's test data when gensim is installed, else from "
                    "--analogies/--pairs.",
        epilog="example:\n  w2vm demo --levels 16,32,64 --epochs 5 --workers 2")
    p.add_argument("--levels", type=int_list, default=[16, 32, 64], metavar="M1,M2,..",
                   help="levels; the last is the vector size (default 16,32,64)")
    p.add_argument("--epochs", type=positive_int, default=5, help="(default 5)")
    p.add_argument("--workers", type=positive_int, default=2, help="(default 2)")
    p.add_argument("--seed", type=int, default=1, help="(default 1)")
    p.add_argument("--analogies", metavar="FILE", help="analogy file (questions-words.txt format)")
    p.add_argument("--pairs", metavar="FILE", help="word-pair similarity file (WordSim-353 format)")
    p.set_defaults(func=run_demo)

    info = sub.add_parser("info", parents=parents, help="show versions, BLAS and OpenMP",
                          description="Show w2vm's version and how its compiled parts were built "
                                      "(OpenMP, SIMD kernels, BLAS).")
    info.set_defaults(func=run_info)


def run_demo(args):
    from w2vm import Word2Vec
    from w2vm.corpora import LineSentence

    for name in ("analogies", "pairs"):
        path = getattr(args, name)
        if path and not os.path.isfile(path):
            raise CLIError(f"--{name} {path}: no such file")
    levels = args.levels
    corpus = LineSentence(demo_corpus_path())
    print(f"Training skip-gram on the bundled demo corpus (300k tokens of public-domain English), "
          f"vector_size={levels[-1]}, levels={levels}, {args.epochs} epochs, {args.workers} workers ...",
          flush=True)
    start = time.perf_counter()
    try:
        model = Word2Vec(corpus, vector_size=levels[-1], levels=levels, sg=1, epochs=args.epochs,
                         workers=args.workers, seed=args.seed)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc), code=2) from None
    elapsed = time.perf_counter() - start
    print(f"trained in {elapsed:.1f} s: {model.epochs} epochs over {model.corpus_total_words} words "
          f"({model.corpus_count} sentences); vocabulary of {len(model.wv)} words "
          f"(those seen at least min_count={model.min_count} times)\n")

    analogies = args.analogies or find_eval_file("questions-words.txt")
    pairs = args.pairs or find_eval_file("wordsim353.tsv")
    if analogies or pairs:
        from w2vm.cli.evaluate import print_text_table, score_levels

        print("Quality per level (each prefix v[:m] normalised on its own):")
        columns, rows = score_levels(model.wv, [analogies] if analogies else [], [pairs] if pairs else [],
                                     model.levels)
        print_text_table(columns, rows)
        print()
    else:
        print("(no analogy/similarity sets found: pass --analogies/--pairs, or pip install gensim, "
              "whose test data includes them)\n")
    print_neighbour_agreement(model.wv, model.levels)

    shown = [w for w in DEMO_WORDS if w in model.wv]
    for m in (model.levels[0], model.levels[-1]):
        print(f"Nearest neighbours at level {m}:")
        for word in shown:
            neighbours = ", ".join(f"{w} {s:.2f}" for w, s in model.wv.most_similar(word, topn=5, level=m))
            print(f"  {word:>8} -> {neighbours}")
        print()
    return 0


def print_neighbour_agreement(wv, levels, n_queries=1000, k=10):
    """How much of each word's full-dimension neighbourhood its prefix ``v[:m]`` keeps.

    Needs no evaluation data, so the demo always shows a per-level table.
    """
    import numpy as np

    keys = wv.index_to_key[:min(n_queries, len(wv))]
    full, _ = wv.knn(keys, k=k)
    print(f"Neighbours kept per level ({len(keys)} most frequent words, top {k} at the full "
          f"dimension {wv.vector_size}):")
    print(f"{'level':>6} | {'overlap@' + str(k):>10}")
    print("-" * 19)
    for m in levels:
        ids, _ = wv.knn(keys, k=k, level=m)
        overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(ids.tolist(), full.tolist())])
        print(f"{m:>6} | {overlap:>10.2f}")
    print()


def run_info(args):
    import w2vm
    w2vm.show_config()
    return 0
