#!/usr/bin/env python
"""Quality over several seeds: is a gap between two trainers larger than the seed-to-seed spread?

One 1-epoch model of 16M tokens moves by a point or more of analogy accuracy
from one seed to the next, so a single benchmark run cannot tell a real
quality gap from noise. This trains one setting (``bench_train``'s standard
one, corpus_file mode) with each seed, for w2vm and/or gensim, and prints the
analogy accuracy (restrict_vocab=30000), WordSim-353 and SimLex-999 Spearman
of the full vectors per seed, then their mean and range. ``--min-alpha``
changes where the learning rate ends, to reproduce a schedule another
trainer actually runs. Standalone script: not collected by pytest.

    python benchmarks/quality_seeds.py --corpus /work/scratch/corpus.txt --sg 0 --hs 1 \\
        --seeds 1,2,3,4,5 --libraries w2vm,gensim --out /tmp/cbow_hs_seeds.json
    python benchmarks/quality_seeds.py --corpus /work/scratch/corpus.txt --sg 0 --hs 1 \\
        --levels 100 --min-alpha 0.01255 --libraries w2vm
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_train  # noqa: E402  (also puts this checkout's w2vm first on sys.path)


def train(library, corpus, sg, hs, seed, workers, levels, min_alpha):
    settings = dict(bench_train.COMMON, seed=seed, min_alpha=min_alpha)
    common = dict(vector_size=max(levels), sg=sg, hs=hs, negative=0 if hs else 5, workers=workers,
                  epochs=1, **settings)
    if library == "w2vm":
        from w2vm import Word2Vec
        model = Word2Vec(levels=levels, **common)
    elif library == "gensim":
        from gensim.models import Word2Vec
        model = Word2Vec(**common)
    else:
        raise ValueError(f"unknown library {library!r}: use w2vm or gensim")
    model.build_vocab(corpus_file=corpus)
    t = time.perf_counter()
    model.train(corpus_file=corpus, total_examples=model.corpus_count,
                total_words=model.corpus_total_words, epochs=1)
    words_per_s = model.corpus_total_words / (time.perf_counter() - t)
    return model.wv.index_to_key, model.wv.vectors, words_per_s


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="plain-text LineSentence corpus file")
    p.add_argument("--sg", type=int, choices=(0, 1), default=1)
    p.add_argument("--hs", type=int, choices=(0, 1), default=0)
    p.add_argument("--seeds", default="1,2,3", help="comma list of seeds")
    p.add_argument("--libraries", default="w2vm,gensim")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--levels", default="25,50,100", help="w2vm levels; the largest is d for both")
    p.add_argument("--min-alpha", type=float, default=bench_train.COMMON["min_alpha"])
    p.add_argument("--restrict-vocab", type=int, default=bench_train.RESTRICT_VOCAB)
    p.add_argument("--eval-dir", default=str(bench_train.EVAL_DIR))
    p.add_argument("--out", help="write the per-seed results as JSON here")
    args = p.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    if not Path(args.corpus).is_file():
        p.error(f"--corpus {args.corpus!r} is not a file")
    d = max(levels)
    rows = []
    for seed in seeds:
        for library in args.libraries.split(","):
            keys, vectors, words_per_s = train(library, args.corpus, args.sg, args.hs, seed, args.workers,
                                               levels, args.min_alpha)
            quality = bench_train.evaluate(keys, vectors, [d], args.eval_dir, args.restrict_vocab)[str(d)]
            row = {"library": library, "seed": seed, "analogy": 100.0 * quality["analogy"],
                   "ws353": quality["ws353"], "simlex": quality["simlex"], "words_per_s": words_per_s}
            rows.append(row)
            print(f"{library:7s} seed {seed}: analogy {row['analogy']:.2f}  WS353 {row['ws353']:.3f}  "
                  f"SimLex {row['simlex']:.3f}  ({words_per_s / 1e3:,.0f}k words/s)", flush=True)
    print(f"\nsg={args.sg} hs={args.hs} workers={args.workers} levels={levels} min_alpha={args.min_alpha}, "
          f"d={d}, {len(seeds)} seeds")
    for library in args.libraries.split(","):
        mine = [r for r in rows if r["library"] == library]
        parts = []
        for key, spec in (("analogy", ".2f"), ("ws353", ".3f"), ("simlex", ".3f")):
            values = [r[key] for r in mine]
            parts.append(f"{key} {statistics.mean(values):{spec}} ({min(values):{spec}}-{max(values):{spec}})")
        print(f"{library:7s} mean (range): " + ",  ".join(parts))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"settings": vars(args), "runs": rows}, f, indent=1)


if __name__ == "__main__":
    main()
