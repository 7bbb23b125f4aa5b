"""``w2vm eval``: analogy accuracy and word-pair Spearman per Matryoshka level (text, JSON, CSV, PNG)."""
import argparse
import csv
import os
import sys

from w2vm.cli.common import CLIError, dumps, int_list, load_vectors, positive_int, require, VECTOR_FORMATS
from w2vm.cli.progress import make_reporter


def add_parser(sub, parents):
    p = sub.add_parser(
        "eval", parents=parents, help="analogy accuracy and Spearman per level",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score every prefix v[:m] of a model (each prefix normalised on its own): analogy accuracy "
                    "(3CosAdd, gensim's evaluate_word_analogies) and Pearson/Spearman against human word-pair "
                    "judgements (gensim's evaluate_word_pairs). Both options can be repeated.",
        epilog="examples:\n"
               "  w2vm eval model --analogies questions-words.txt --pairs wordsim353.tsv --pairs simlex999.txt\n"
               "  w2vm eval model --analogies questions-words.txt --levels 8,16,32,64,100 --json > scores.json\n"
               "  w2vm eval model --pairs wordsim353.tsv --csv --plot levels.png   # plot needs matplotlib")
    p.add_argument("model", metavar="MODEL", help="a w2vm base (MODEL.vocab.json + MODEL.npy) or a word2vec/GloVe file")
    p.add_argument("--analogies", action="append", default=[], metavar="FILE",
                   help="analogy questions (questions-words.txt format); repeatable")
    p.add_argument("--pairs", action="append", default=[], metavar="FILE",
                   help="word pairs with a human score (WordSim-353 / SimLex-999 tab-separated format); repeatable")
    p.add_argument("--levels", type=int_list, metavar="M1,M2,..",
                   help="prefix sizes to score (default: the model's levels); any size up to the dimension")
    p.add_argument("--restrict-vocab", type=positive_int, default=300000, metavar="N",
                   help="only the N most frequent words (default 300000, gensim's)")
    p.add_argument("--case-sensitive", action="store_true", help="do not lower-case words (default: lower-case)")
    p.add_argument("--input-format", choices=VECTOR_FORMATS, default="auto",
                   help="format of MODEL (default: auto-detected)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON instead of a table")
    fmt.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.add_argument("--plot", metavar="PNG", help="also draw score vs dimension to this PNG (needs matplotlib: "
                                                "pip install 'w2vm[plot]')")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress on stderr (default: a bar on a terminal, log lines otherwise)")
    p.set_defaults(func=run)


def _stem(path):
    return os.path.basename(os.fspath(path)).split(".")[0]


def score_levels(kv, analogies, pairs, levels=None, restrict_vocab=300000, case_insensitive=True, task=None):
    """Evaluate every level; return ``(columns, rows)``.

    ``rows`` holds one dict per level (``level``, ``<stem>_accuracy`` per
    analogy file, ``<stem>_pearson`` / ``_spearman`` / ``_oov_ratio`` per
    pair file); ``columns`` lists ``(key, header, kind)`` for the text table.
    ``task`` (a :class:`~w2vm.cli.progress.Task`) is told after each level of
    each file, weighted by the file's work (an analogy file costs one search
    per question, a pair file almost nothing).
    """
    levels = list(kv.levels if levels is None else levels)
    rows = [{"level": int(m)} for m in levels]
    columns = [("level", "level", "int")]
    # the work of one level of each file: one search per analogy question, next to nothing per pair file
    weights = [_analogy_weight(path) for path in analogies] + ([1] if pairs else [])
    total, done = sum(weights) * len(levels), 0

    def advance(weight, m, what):
        nonlocal done
        done += weight
        if task is not None:
            task.update(fraction=done / total, note=f"level {m} of {what}")

    for path, weight in zip(analogies, weights):
        stem = _stem(path)
        for row, m in zip(rows, levels):
            # one level at a time (the file is parsed again each time: milliseconds), so that progress moves
            got = kv.evaluate_levels(analogies=path, levels=[m], restrict_vocab=restrict_vocab,
                                     case_insensitive=case_insensitive)[0]
            row[f"{stem}_accuracy"] = got["analogy_accuracy"]
            advance(weight, m, stem)
        columns.append((f"{stem}_accuracy", f"{stem} acc", "percent"))
    if pairs:
        for row, m in zip(rows, levels):
            got = kv.evaluate_levels(pairs=list(pairs), levels=[m], restrict_vocab=restrict_vocab,
                                     case_insensitive=case_insensitive)[0]
            row.update({k: v for k, v in got.items() if k != "level"})
            advance(1, m, "the pair files")
        for path in pairs:
            stem = _stem(path)
            columns.append((f"{stem}_spearman", f"{stem} spearman", "float"))
        for path in pairs:
            stem = _stem(path)
            columns.append((f"{stem}_oov_ratio", f"{stem} OOV", "oov"))
    return columns, rows


def _analogy_weight(path):
    """The work of one level of an analogy file, in pair-file units: about one per question line."""
    try:
        with open(path, "rb") as fh:
            return max(sum(1 for line in fh if not line.startswith(b":")), 1)
    except OSError:
        return 1


def _cell(value, kind):
    if value is None or value != value:
        return "n/a"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "float":
        return f"{value:.3f}"
    if kind == "oov":
        return f"{value:.1f}%"  # gensim's oov_ratio is already a percentage
    return str(value)


def print_text_table(columns, rows, file=None):
    from w2vm.cli.common import print_table
    print_table([header for _, header, _ in columns],
                [[_cell(row.get(key), kind) for key, _, kind in columns] for row in rows], file=file)


def plot_levels(columns, rows, path, title):
    """Score vs prefix dimension, one line per metric, to a PNG."""
    matplotlib = require("matplotlib", "--plot", "plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    levels = [row["level"] for row in rows]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for key, header, kind in columns:
        if kind not in ("percent", "float"):
            continue
        ys = [row.get(key) for row in rows]
        label = header.replace(" acc", " analogy accuracy")
        ax.plot(levels, [float("nan") if y is None else y for y in ys], marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(levels)
    ax.set_xticklabels([str(m) for m in levels])
    ax.set_xlabel("prefix dimension m (v[:m])")
    ax.set_ylabel("score (accuracy, Spearman)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args):
    if not args.analogies and not args.pairs:
        raise CLIError("give --analogies FILE and/or --pairs FILE", code=2)
    for flag, paths in (("--analogies", args.analogies), ("--pairs", args.pairs)):
        for path in paths:
            if not os.path.isfile(path):
                raise CLIError(f"{flag} {path}: no such file")
    if args.plot:
        if not os.path.isdir(os.path.dirname(os.path.abspath(args.plot))):
            raise CLIError(f"--plot {args.plot}: the folder does not exist")
        require("matplotlib", "--plot", "plot")  # before the minutes of scoring, not after
    kv = load_vectors(args.model, args.input_format)
    levels = args.levels
    if levels is not None:
        bad = [m for m in levels if not 1 <= m <= kv.vector_size]
        if bad:
            raise CLIError(f"--levels {bad}: outside [1, {kv.vector_size}] (the model's dimension)", code=2)
    reporter = make_reporter("quiet" if args.quiet else "auto", interval=5.0)
    try:
        task = reporter.task("eval", "evaluating")
        columns, rows = score_levels(kv, args.analogies, args.pairs, levels, args.restrict_vocab,
                                     not args.case_sensitive, task=task)
        task.finish(f"evaluated {len(rows)} levels in {task.elapsed:.1f}s")
    finally:
        reporter.close()
    if args.json:
        print(dumps({"model": args.model, "vector_size": kv.vector_size, "vocab_size": len(kv),
                     "analogies": args.analogies, "pairs": args.pairs, "restrict_vocab": args.restrict_vocab,
                     "rows": rows}))
    elif args.csv:
        keys = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(sys.stdout, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        print_text_table(columns, rows)
    if args.plot:
        plot_levels(columns, rows, args.plot, f"{os.path.basename(args.model)}: quality per level")
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
