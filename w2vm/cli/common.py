"""Helpers shared by the subcommands: errors, argument types, loading vectors, output tables."""
import argparse
import json
import math
import os
import sys


class CLIError(Exception):
    """A user-facing error: printed as one line ``w2vm CMD: error: ...``, exit code ``code``."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def require(module, feature, extra):
    """Import an optional dependency before any work starts, or stop with how to install it.

    ``require("matplotlib", "--plot", "plot")`` raises :class:`CLIError`
    ``--plot needs matplotlib: pip install 'w2vm[plot]'`` when it is missing.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise CLIError(f"{feature} needs {module.split('.')[0]} ({exc}): pip install 'w2vm[{extra}]'") from None


def _number_list(text, cast, example):
    try:
        values = [cast(x) for x in text.replace(" ", "").split(",") if x != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like {example}, got {text!r}") \
            from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def int_list(text):
    """argparse type for ``25,50,100``."""
    return _number_list(text, int, "25,50,100")


def float_list(text):
    """argparse type for ``1,1,0.5``."""
    return _number_list(text, float, "1,1,0.5")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# --------------------------------------------------------------------------- vectors on disk
VECTOR_FORMATS = ("auto", "w2vm", "word2vec", "word2vec-bin", "glove")


def base_of(path):
    """``model``, ``model.vocab.json`` or ``model.npy`` all name the base ``model``."""
    path = os.fspath(path)
    for suffix in (".vocab.json", ".npy", ".meta.json"):
        if path.endswith(suffix) and os.path.exists(path[: -len(suffix)] + ".vocab.json"):
            return path[: -len(suffix)]
    return path


def _looks_like_word2vec_header(path):
    """Whether the first line of a text vector file is the ``<count> <dim>`` header."""
    from w2vm.io.compression import open_read

    with open_read(path) as fh:
        first = fh.readline(4096)
    parts = first.split()  # bytes: digits are ASCII in any encoding
    return len(parts) == 2 and all(p.isdigit() for p in parts)


def detect_format(path):
    """The format of an existing vector file or base (one of :data:`VECTOR_FORMATS` but auto)."""
    path = os.fspath(path)
    if os.path.exists(base_of(path) + ".vocab.json"):
        return "w2vm"
    if not os.path.exists(path):
        raise CLIError(f"{path}: no such vectors (neither a file nor a base with {path}.vocab.json and {path}.npy)")
    if os.path.isdir(path):
        raise CLIError(f"{path} is a directory, not a vector file")
    from w2vm.io.compression import strip_compression

    if strip_compression(path).endswith(".bin"):
        return "word2vec-bin"
    return "word2vec" if _looks_like_word2vec_header(path) else "glove"


def load_vectors(path, fmt="auto", mmap="r"):
    """Load a :class:`~w2vm.models.keyedvectors.KeyedVectors` from any supported format.

    ``w2vm`` bases are memory-mapped (read-only, zero copy); word2vec C text
    and binary files and GloVe text files are read into memory.
    """
    from w2vm.models.keyedvectors import KeyedVectors

    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "w2vm":
        base = base_of(path)
        if not os.path.exists(base + ".vocab.json"):
            raise CLIError(f"{base}: no model here ({base}.vocab.json not found)")
        return KeyedVectors.load(base, mmap=mmap)
    if not os.path.exists(path):
        raise CLIError(f"{path}: no such file")
    return KeyedVectors.load_word2vec_format(path, binary=fmt == "word2vec-bin", no_header=fmt == "glove")


# --------------------------------------------------------------------------- output
def json_default(value):
    """Make numpy scalars and NaN JSON-friendly (NaN becomes null: strict JSON has no NaN)."""
    try:
        value = value.item()
    except AttributeError:
        pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(obj):
    """One-line strict JSON (NaN and inf become null)."""
    return json.dumps(_clean(obj), ensure_ascii=False, default=json_default, allow_nan=False)


def _clean(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def print_table(headers, rows, file=None):
    """A plain text table, right-aligned (the cells are mostly numbers)."""
    file = file or sys.stdout
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        return " | ".join(v.rjust(w) for v, w in zip(values, widths))

    print(line(headers), file=file)
    print("-+-".join("-" * w for w in widths), file=file)
    for row in cells:
        print(line(row), file=file)
