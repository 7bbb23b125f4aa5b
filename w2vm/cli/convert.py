"""``w2vm convert``: between w2vm bases, word2vec C text/binary and GloVe text, optionally truncated to a level."""
import argparse
import os
import sys

from w2vm.cli.common import CLIError, base_of, detect_format, int_list, load_vectors, positive_int

OUTPUT_FORMATS = ("auto", "w2vm", "word2vec", "word2vec-bin")
INPUT_FORMATS = ("auto", "w2vm", "word2vec", "word2vec-bin", "glove", "gensim")


def add_parser(sub, parents):
    p = sub.add_parser(
        "convert", parents=parents, help="convert between w2vm, word2vec text/binary and GloVe files",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert vectors. Formats: w2vm (BASE.vocab.json + BASE.npy), word2vec (C text format, "
                    ".txt/.vec), word2vec-bin (C binary format, .bin), glove (GloVe text, no header; input "
                    "only). Formats are guessed from the names and contents unless --from/--to say; "
                    ".gz/.bz2/.xz word2vec files are (de)compressed.",
        epilog="examples:\n"
               "  w2vm convert model model.bin                       # w2vm -> word2vec binary\n"
               "  w2vm convert model model-25.txt --level 25         # only the prefix v[:25]\n"
               "  w2vm convert glove.6B.100d.txt glove --from glove --levels 25,50,100\n"
               "  w2vm convert GoogleNews-vectors.bin.gz news --limit 100000\n"
               "  w2vm convert word2vec.model model --from gensim   # a gensim model, trainable in w2vm\n\n"
               "--from gensim loads the file with gensim's own loader (gensim must be installed), which "
               "unpickles it:\nonly convert files you trust.")
    p.add_argument("input", metavar="INPUT", help="input file or w2vm base")
    p.add_argument("output", metavar="OUTPUT", help="output file or w2vm base")
    p.add_argument("--from", dest="input_format", choices=INPUT_FORMATS, default="auto",
                   help="input format (default: auto)")
    p.add_argument("--to", dest="output_format", choices=OUTPUT_FORMATS, default="auto",
                   help="output format (default: from OUTPUT's extension: .bin binary, .txt/.vec text, "
                        "otherwise a w2vm base)")
    p.add_argument("--level", type=positive_int, metavar="M", help="keep only the prefix v[:M]")
    p.add_argument("--levels", type=int_list, metavar="M1,M2,..",
                   help="levels recorded in a w2vm output (default: the input's levels up to the output size; "
                        "d/4,d/2,d for inputs without levels)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="keep only the first N vectors")
    p.set_defaults(func=run)


def output_format(path, fmt):
    if fmt != "auto":
        return fmt
    from w2vm.io.compression import strip_compression

    name = strip_compression(path).lower()
    if name.endswith(".bin"):
        return "word2vec-bin"
    if name.endswith((".txt", ".vec")):
        return "word2vec"
    return "w2vm"


def run(args):
    from w2vm.io.npy_vocab import save_base
    from w2vm.levels import default_levels, validate_levels

    in_fmt = detect_format(args.input) if args.input_format == "auto" else args.input_format
    out_fmt = output_format(args.output, args.output_format)
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise CLIError(f"{args.output}: the folder {folder} does not exist")
    if in_fmt == "w2vm" and out_fmt == "w2vm" and os.path.abspath(base_of(args.input)) == os.path.abspath(args.output):
        raise CLIError("INPUT and OUTPUT are the same base")
    if in_fmt == "gensim":
        kv = _from_gensim(args, out_fmt)
        if kv is None:
            return 0
    elif in_fmt != "w2vm" and args.limit is not None:
        # the word2vec reader stops after `limit` records: big files need not be read whole
        from w2vm.models.keyedvectors import KeyedVectors
        if not os.path.exists(args.input):
            raise CLIError(f"{args.input}: no such file")
        kv = KeyedVectors.load_word2vec_format(args.input, binary=in_fmt == "word2vec-bin",
                                               no_header=in_fmt == "glove", limit=args.limit)
    else:
        from w2vm.models.gensim_compat import is_gensim_pickle
        if in_fmt != "w2vm" and is_gensim_pickle(args.input):
            raise CLIError(f"{args.input} is a file saved by gensim (a pickle): add --from gensim "
                           "(it runs gensim's unpickler: only for files you trust)", code=2)
        kv = load_vectors(args.input, in_fmt, mmap="r")
    d = kv.vector_size
    m = d if args.level is None else args.level
    if m > d:
        raise CLIError(f"--level {m}: larger than the vectors' dimension {d}", code=2)
    n = len(kv) if args.limit is None else min(args.limit, len(kv))
    keys = list(kv.index_to_key[:n])
    vectors = kv.vectors[:n, :m]
    counts = kv.expandos.get("count") if hasattr(kv, "expandos") else None
    counts = None if counts is None else counts[:n]

    if out_fmt == "w2vm":
        if args.levels is not None:
            levels = args.levels
        elif in_fmt == "w2vm":
            levels = [x for x in kv.levels if x < m] + [m]
        elif in_fmt == "gensim":
            levels = [m]  # gensim trained one level
        else:
            levels = default_levels(m)
        try:
            levels = validate_levels(levels, m)
        except (TypeError, ValueError) as exc:
            raise CLIError(f"--levels: {exc}", code=2) from None
        save_base(args.output, keys, vectors, meta={"levels": levels}, counts=counts)
        what = f", levels {levels}"
    else:
        if args.levels is not None:
            raise CLIError("--levels only applies to a w2vm output (word2vec files have no levels)", code=2)
        from w2vm.io.word2vec_format import save_word2vec_format
        save_word2vec_format(args.output, keys, vectors, counts=counts, binary=out_fmt == "word2vec-bin")
        what = ""
    print(f"wrote {args.output}: {n} vectors x {m} dims ({in_fmt} -> {out_fmt}{what})", file=sys.stderr)
    return 0


def _from_gensim(args, out_fmt):
    """A gensim file's vectors as KeyedVectors; a whole gensim model is written here as a
    w2vm model (``None`` returned) when the output is a w2vm base and nothing is cut."""
    from w2vm.models import gensim_compat
    from w2vm.models.keyedvectors import KeyedVectors
    from w2vm.models.word2vec import Word2Vec

    try:
        obj = gensim_compat.load_gensim_file(args.input)
    except (ImportError, FileNotFoundError, ValueError) as exc:
        raise CLIError(f"{args.input}: {exc}") from None
    if out_fmt == "w2vm" and hasattr(obj, "syn1neg") and args.level is None and args.limit is None:
        try:
            model = Word2Vec.from_gensim(obj, levels=args.levels)
        except (TypeError, ValueError) as exc:
            raise CLIError(f"{args.input}: {exc}", code=2) from None
        model.save(args.output)
        print(f"wrote {args.output}: a w2vm model of {len(model.wv)} words x {model.vector_size} dims "
              f"(gensim -> w2vm, levels {model.levels}); Word2Vec.load({args.output!r}) trains on",
              file=sys.stderr)
        return None
    try:
        return KeyedVectors.from_gensim(obj)
    except TypeError as exc:
        raise CLIError(f"{args.input}: {exc}") from None
