"""Transparent (de)compression by file name, as gensim's ``utils.open`` does.

``.gz``, ``.bz2`` and ``.xz`` names are (de)compressed on the fly; anything
else is a plain binary file. Writes go through :func:`w2vm.io.atomic.atomic_open`
so that a crash mid-save never leaves a half-written file behind.
"""
import bz2
import contextlib
import gzip
import io
import lzma
import os
import shutil
import zlib

from w2vm.io.atomic import atomic_open

_SUFFIXES = (".gz", ".bz2", ".xz")


def compression_of(path):
    """Return ``'gz'``, ``'bz2'``, ``'xz'`` or ``None`` from the file name."""
    name = os.fspath(path).lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return suffix[1:]
    return None


class CorruptCompressedFileError(ValueError):
    """A ``.gz``/``.bz2``/``.xz`` file whose compressed data cannot be decoded."""


class TruncatedCompressedFileError(CorruptCompressedFileError, EOFError):
    """A compressed file that ends before its end-of-stream marker (an ``EOFError`` too)."""


class _DecodeChecked(io.RawIOBase):
    """A decompressing stream whose decoder errors become :class:`CorruptCompressedFileError`.

    gzip, bz2 and lzma report damaged data as ``BadGzipFile``/``OSError``,
    ``zlib.error`` or ``LZMAError``; callers expect a ``ValueError`` naming the file.
    """

    def __init__(self, stream, path, kind):
        self._stream, self._path, self._kind = stream, path, kind

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            return self._stream.readinto(buffer)
        except EOFError as exc:
            raise TruncatedCompressedFileError(f"{self._path}: truncated {self._kind} data ({exc})") from None
        except (OSError, zlib.error, lzma.LZMAError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise  # a real I/O error, not damaged data
            raise CorruptCompressedFileError(f"{self._path}: corrupt {self._kind} data ({exc})") from None

    def close(self):
        try:
            self._stream.close()
        finally:
            super().close()


def open_read(path):
    """Open ``path`` for binary reading, decompressing by extension.

    Raises ``FileNotFoundError`` naming the path when it does not exist, and
    :class:`CorruptCompressedFileError` (a ``ValueError``) while reading
    damaged compressed data.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    kind = compression_of(path)
    if kind == "gz":
        stream = gzip.open(path, "rb")
    elif kind == "bz2":
        stream = bz2.open(path, "rb")
    elif kind == "xz":
        stream = lzma.open(path, "rb")
    else:
        return open(path, "rb")
    return io.BufferedReader(_DecodeChecked(stream, path, kind))


def plain_size(path):
    """Size in bytes of an uncompressed file, or ``None`` when compressed (unknown)."""
    if compression_of(path) is not None:
        return None
    return os.path.getsize(os.fspath(path))


@contextlib.contextmanager
def open_write(path, append=False):
    """Atomically write ``path`` in binary mode, compressing by extension.

    ``append=True`` keeps the file's current bytes first (the new data is one
    more compressed stream after them, which all three readers go on reading).
    """
    path = os.fspath(path)
    kind = compression_of(path)
    with atomic_open(path, "wb") as raw:
        if append and os.path.exists(path):
            with open(path, "rb") as old:
                shutil.copyfileobj(old, raw)
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
