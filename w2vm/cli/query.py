"""``w2vm query``: nearest neighbours of words (or word arithmetic) at any level, once or interactively."""
import argparse
import sys

from w2vm.cli.common import CLIError, dumps, load_vectors, positive_int, VECTOR_FORMATS

INTERACTIVE_HELP = ("one query per line: words to add, -words to subtract (e.g. 'king -man woman'); "
                    "':level M' and ':topn N' change the settings; empty line or Ctrl-D quits")


def add_parser(sub, parents):
    p = sub.add_parser(
        "query", parents=parents, help="nearest neighbours at a level (one query, or interactive)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="most_similar at a Matryoshka level. With WORDs (or --positive/--negative) answer one "
                    "query; with none, read queries from stdin, one per line: " + INTERACTIVE_HELP + ".",
        epilog="examples:\n"
               "  w2vm query model king --level 25 --topn 5\n"
               "  w2vm query model --positive king woman --negative man --json\n"
               "  printf 'whale\\nking -man woman\\n' | w2vm query model --level 50")
    p.add_argument("model", metavar="MODEL", help="a w2vm base or a word2vec/GloVe file")
    p.add_argument("words", nargs="*", metavar="WORD", help="words to find neighbours of (added together)")
    p.add_argument("--positive", nargs="+", default=[], metavar="WORD", help="words that contribute positively")
    p.add_argument("--negative", nargs="+", default=[], metavar="WORD", help="words that contribute negatively")
    p.add_argument("--level", type=positive_int, metavar="M", help="use the prefix v[:M] (default: all dimensions)")
    p.add_argument("--topn", type=positive_int, default=10, metavar="N", help="neighbours to show (default 10)")
    p.add_argument("--restrict-vocab", type=positive_int, metavar="N", help="search only the N most frequent words")
    p.add_argument("--cosmul", action="store_true", help="use most_similar_cosmul (3CosMul) instead of 3CosAdd")
    p.add_argument("--input-format", choices=VECTOR_FORMATS, default="auto", help="format of MODEL (default: auto)")
    p.add_argument("--json", action="store_true", help="one JSON object per query")
    p.set_defaults(func=run)


def parse_line(line):
    """``'king -man woman'`` -> ``(['king', 'woman'], ['man'])``."""
    positive, negative = [], []
    for token in line.split():
        if token.startswith("-") and len(token) > 1:
            negative.append(token[1:])
        else:
            positive.append(token[1:] if token.startswith("+") and len(token) > 1 else token)
    return positive, negative


def answer(kv, positive, negative, level, topn, restrict_vocab=None, cosmul=False):
    """``[(word, score), ...]``; raises :class:`CLIError` for unknown words or an empty query."""
    if not positive and not negative:
        raise CLIError("nothing to query: give at least one word")
    missing = [w for w in positive + negative if w not in kv]
    if missing:
        raise CLIError(not_in_vocabulary(kv, missing))
    if level is not None and level > kv.vector_size:
        raise CLIError(f"--level {level}: larger than the model's dimension {kv.vector_size}", code=2)
    method = kv.most_similar_cosmul if cosmul else kv.most_similar
    return method(positive=positive, negative=negative, topn=topn, restrict_vocab=restrict_vocab, level=level)


def suggestions(kv, word, n=3):
    """Keys a user may have meant by ``word``: the same word in another case first, then close spellings.

    Case variants are looked up among keys that lower-case alike (``King`` ->
    ``king``, ``KING``); close spellings come from :mod:`difflib` over the
    keys of about the same length (so a large vocabulary stays fast), most
    frequent first among equally close ones.
    """
    import difflib

    keys = kv.index_to_key
    folded = word.casefold()
    same_case = [k for k in keys if isinstance(k, str) and k.casefold() == folded and k != word]
    if same_case:
        return same_case[:n]
    size = len(word)
    near = [k for k in keys if isinstance(k, str) and abs(len(k) - size) <= max(2, size // 3)]
    return difflib.get_close_matches(word, near, n=n, cutoff=0.75)


def not_in_vocabulary(kv, missing):
    """``not in the vocabulary: 'King' (did you mean 'king'?)``."""
    parts = []
    for word in missing:
        close = suggestions(kv, word)
        hint = f" (did you mean {' or '.join(repr(k) for k in close)}?)" if close else ""
        parts.append(f"{word!r}{hint}")
    return "not in the vocabulary: " + ", ".join(parts)


def show(result, positive, negative, level, as_json, file=None):
    file = file or sys.stdout
    if as_json:
        print(dumps({"positive": positive, "negative": negative, "level": level,
                     "results": [[w, float(s)] for w, s in result]}), file=file, flush=True)
        return
    query = " ".join(positive + ["-" + w for w in negative])
    print(f"{query} (level {level if level is not None else 'full'}):", file=file)
    width = max([len(str(w)) for w, _ in result] + [4])
    for rank, (word, score) in enumerate(result, 1):
        print(f"  {rank:>3}. {str(word):<{width}}  {score:.4f}", file=file)
    file.flush()


def run(args):
    kv = load_vectors(args.model, args.input_format)
    positive = list(args.words) + list(args.positive)
    negative = list(args.negative)
    if positive or negative:
        show(answer(kv, positive, negative, args.level, args.topn, args.restrict_vocab, args.cosmul),
             positive, negative, args.level, args.json)
        return 0
    return interactive(kv, args)


def interactive(kv, args, stdin=None):
    """Answer queries read from stdin until EOF or an empty line (on a terminal)."""
    stdin = stdin or sys.stdin
    tty = stdin.isatty()
    level, topn = args.level, args.topn
    if tty:
        print(f"{len(kv)} words x {kv.vector_size} dims, levels {list(kv.levels)}; {INTERACTIVE_HELP}",
              file=sys.stderr)
    failures = 0
    while True:
        if tty:
            print(f"[level {level or 'full'}]> ", end="", file=sys.stderr, flush=True)
        line = stdin.readline()
        if not line or (tty and not line.strip()):
            break
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith(":"):
                level, topn = _setting(line, level, topn, kv)
                continue
            positive, negative = parse_line(line)
            show(answer(kv, positive, negative, level, topn, args.restrict_vocab, args.cosmul),
                 positive, negative, level, args.json)
        except CLIError as exc:
            # one bad query must not end a session or a batch of queries
            failures += 1
            if args.json:
                print(dumps({"query": line, "error": str(exc)}), flush=True)
            else:
                print(f"w2vm query: {exc}", file=sys.stderr, flush=True)
    return 1 if failures and not tty else 0


def _setting(line, level, topn, kv):
    parts = line[1:].split()
    if len(parts) == 2 and parts[0] in ("level", "topn"):
        if parts[0] == "level" and parts[1] in ("full", "none"):
            return None, topn
        try:
            value = int(parts[1])
        except ValueError:
            value = 0
        if parts[0] == "level" and 1 <= value <= kv.vector_size:
            return value, topn
        if parts[0] == "topn" and value >= 1:
            return level, value
    raise CLIError(f"bad setting {line!r}: use ':level M' (1..{kv.vector_size} or 'full') or ':topn N'")
