"""Command line: ``python -m w2vm <command>`` (also installed as ``w2vm``).

Commands: ``demo`` (train on the bundled corpus and show what levels do),
``info`` (build configuration).
"""
import argparse
import sys
import time
from importlib.resources import files


def demo_corpus_path():
    return str(files("w2vm") / "data" / "demo-corpus.txt.gz")


def find_eval_file(name):
    """An evaluation set by file name: gensim's bundled copy when gensim is installed."""
    try:
        from gensim.test.utils import datapath
    except ImportError:
        return None
    import os
    path = datapath(name)
    return path if os.path.exists(path) else None


def cmd_demo(args):
    from w2vm import Word2Vec
    from w2vm.corpora import LineSentence

    levels = [int(x) for x in args.levels.split(",")]
    corpus = LineSentence(demo_corpus_path())
    print(f"Training skip-gram on the bundled demo corpus (300k tokens of public-domain English), "
          f"vector_size={levels[-1]}, levels={levels}, {args.epochs} epochs, {args.workers} workers ...")
    start = time.perf_counter()
    model = Word2Vec(corpus, vector_size=levels[-1], levels=levels, sg=1, epochs=args.epochs,
                     workers=args.workers, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"trained {len(model.wv)} words in {elapsed:.1f} s\n")

    analogies = args.analogies or find_eval_file("questions-words.txt")
    pairs = args.pairs or find_eval_file("wordsim353.tsv")
    if analogies or pairs:
        print("Quality per level (each prefix v[:m] normalised on its own):")
        header = f"{'level':>6} | {'analogy acc':>11} | {'WS353 spearman':>14}"
        print(header)
        print("-" * len(header))
        for m in model.levels:
            acc = model.wv.evaluate_word_analogies(analogies, level=m)[0] if analogies else float("nan")
            rho = model.wv.evaluate_word_pairs(pairs, level=m)[1][0] if pairs else float("nan")
            print(f"{m:>6} | {100 * acc:>10.1f}% | {rho:>14.3f}")
        print()
    else:
        print("(no evaluation sets found: pass --analogies/--pairs, or pip install gensim, "
              "whose test data includes them)\n")

    shown = [w for w in ("king", "ship", "sister", "france", "whale") if w in model.wv]
    for m in (model.levels[0], model.levels[-1]):
        print(f"Nearest neighbours at level {m}:")
        for word in shown:
            neighbours = ", ".join(f"{w} {s:.2f}" for w, s in model.wv.most_similar(word, topn=5, level=m))
            print(f"  {word:>8} -> {neighbours}")
        print()
    return 0


def cmd_info(args):
    import w2vm
    w2vm.show_config()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="w2vm", description="word2vec with Matryoshka levels")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="train on the bundled demo corpus and show per-level results")
    demo.add_argument("--levels", default="16,32,64", help="comma-separated levels (default 16,32,64)")
    demo.add_argument("--epochs", type=int, default=5)
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--analogies", help="analogy file (questions-words.txt format)")
    demo.add_argument("--pairs", help="word-pair similarity file (WordSim-353 format)")
    demo.set_defaults(func=cmd_demo)
    info = sub.add_parser("info", help="show versions, BLAS and OpenMP")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        print(f"w2vm {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
