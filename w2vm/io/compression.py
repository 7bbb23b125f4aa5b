"""Transparent (de)compression by file name, as gensim's ``utils.open`` does.

``.gz``, ``.bz2`` and ``.xz`` names are (de)compressed on the fly; anything
else is a plain binary file. Writes go through :func:`w2vm.io.atomic.atomic_open`
so that a crash mid-save never leaves a half-written file behind.
"""
import bz2
import contextlib
import gzip
import lzma
import os

from w2vm.io.atomic import atomic_open

_SUFFIXES = (".gz", ".bz2", ".xz")


def compression_of(path):
    """Return ``'gz'``, ``'bz2'``, ``'xz'`` or ``None`` from the file name."""
    name = os.fspath(path).lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return suffix[1:]
    return None


def open_read(path):
    """Open ``path`` for binary reading, decompressing by extension.

    Raises ``FileNotFoundError`` naming the path when it does not exist.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    kind = compression_of(path)
    if kind == "gz":
        return gzip.open(path, "rb")
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "xz":
        return lzma.open(path, "rb")
    return open(path, "rb")


def plain_size(path):
    """Size in bytes of an uncompressed file, or ``None`` when compressed (unknown)."""
    if compression_of(path) is not None:
        return None
    return os.path.getsize(os.fspath(path))


@contextlib.contextmanager
def open_write(path):
    """Atomically write ``path`` in binary mode, compressing by extension."""
    path = os.fspath(path)
    kind = compression_of(path)
    with atomic_open(path, "wb") as raw:
        if kind is None:
            yield raw
            return
        if kind == "gz":
            # mtime=0 and no file name: the same bytes for the same data, whatever the day.
            stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        elif kind == "bz2":
            stream = bz2.BZ2File(raw, mode="wb")
        else:
            stream = lzma.LZMAFile(raw, mode="wb")
        with stream:
            yield stream
