"""Transparent (de)compression by file name, as gensim's ``utils.open`` does: the one table of suffixes.

:data:`COMPRESSIONS` maps ``.gz``, ``.bz2`` and ``.xz`` to their codecs; every
reader and writer of the package (corpus readers, the native-reader decision,
vector files, evaluation files, interaction logs, the command line) asks this
module, so they all accept the same names. Anything else is a plain file.
Writes go through :func:`w2vm.io.atomic.atomic_open` so that a crash mid-save
never leaves a half-written file behind.
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
from w2vm.io.errors import CorruptCompressedFileError, TruncatedCompressedFileError  # noqa: F401  (their home)


class _Codec:
    """How one compression reads and writes: both wrap an already open binary file."""

    def __init__(self, name, reader, writer):
        self.name, self.reader, self.writer = name, reader, writer


#: file-name suffix (lower case) -> codec; the only list of compressions in the package
COMPRESSIONS = {
    ".gz": _Codec("gz", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
                  # mtime=0 and no file name: the same bytes for the same data, whatever the day
                  lambda raw: gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)),
    ".bz2": _Codec("bz2", lambda raw: bz2.BZ2File(raw, mode="rb"), lambda raw: bz2.BZ2File(raw, mode="wb")),
    ".xz": _Codec("xz", lambda raw: lzma.LZMAFile(raw, mode="rb"), lambda raw: lzma.LZMAFile(raw, mode="wb")),
}

#: the suffixes, for help texts and ``str.endswith``
COMPRESSED_SUFFIXES = tuple(COMPRESSIONS)


def _suffix_of(path):
    name = os.fspath(path)
    name = (os.fsdecode(name) if isinstance(name, bytes) else name).lower()
    for suffix in COMPRESSIONS:
        if name.endswith(suffix):
            return suffix
    return None


def compression_of(path):
    """Return ``'gz'``, ``'bz2'``, ``'xz'`` or ``None`` from the file name."""
    suffix = _suffix_of(path)
    return COMPRESSIONS[suffix].name if suffix else None


def is_compressed(path):
    """Whether ``path``'s name asks for (de)compression."""
    return _suffix_of(path) is not None


def strip_compression(path):
    """``'vectors.bin.gz'`` -> ``'vectors.bin'``; other names unchanged."""
    path = os.fspath(path)
    suffix = _suffix_of(path)
    return path[: -len(suffix)] if suffix else path


class _DecodeChecked(io.RawIOBase):
    """A decompressing stream whose decoder errors become :class:`CorruptCompressedFileError`.

    gzip, bz2 and lzma report damaged data as ``BadGzipFile``/``OSError``,
    ``zlib.error`` or ``LZMAError``, and a truncated file as ``EOFError``;
    callers expect a ``ValueError`` naming the file. It also counts the
    decompressed bytes delivered (where an error happened) and can tell how
    far into the compressed file it is (progress of a pass).
    """

    def __init__(self, stream, raw, path, kind):
        self._stream, self._raw, self._path, self._kind = stream, raw, path, kind
        self.delivered = 0

    def readable(self):
        return True

    #: at most this much per read, so that an error's offset is known to within it
    READ_SIZE = 1 << 16

    def readinto(self, buffer):
        try:
            got = self._stream.readinto(memoryview(buffer)[: self.READ_SIZE])
        except EOFError:
            raise TruncatedCompressedFileError(
                self._path, f"truncated {self._kind} data (the file ends before its end-of-stream marker)",
                offset=self.delivered) from None
        except (OSError, zlib.error, lzma.LZMAError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise  # a real I/O error, not damaged data
            raise CorruptCompressedFileError(self._path, f"corrupt {self._kind} data ({exc})",
                                             offset=self.delivered) from None
        self.delivered += got or 0
        return got

    def disk_position(self):
        """Bytes of the compressed file consumed so far."""
        return self._raw.tell()

    def close(self):
        try:
            self._stream.close()
            self._raw.close()
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
    suffix = _suffix_of(path)
    raw = open(path, "rb")
    if suffix is None:
        return raw
    try:
        stream = COMPRESSIONS[suffix].reader(raw)
    except BaseException:
        raw.close()
        raise
    return io.BufferedReader(_DecodeChecked(stream, raw, path, COMPRESSIONS[suffix].name))


def disk_position(stream):
    """How many bytes of the file on disk a stream from :func:`open_read` has consumed.

    For a compressed file that is the position in the compressed data (the
    fraction of ``os.path.getsize`` a pass has covered); ``None`` if unknown.
    """
    inner = getattr(stream, "raw", None)
    try:
        if isinstance(inner, _DecodeChecked):
            return inner.disk_position()
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return None


def plain_size(path):
    """Size in bytes of an uncompressed file, or ``None`` when compressed (unknown)."""
    if is_compressed(path):
        return None
    return os.path.getsize(os.fspath(path))


@contextlib.contextmanager
def open_write(path, append=False):
    """Atomically write ``path`` in binary mode, compressing by extension.

    ``append=True`` keeps the file's current bytes first (the new data is one
    more compressed stream after them, which all three readers go on reading).
    """
    path = os.fspath(path)
    suffix = _suffix_of(path)
    with atomic_open(path, "wb") as raw:
        if append and os.path.exists(path):
            with open(path, "rb") as old:
                shutil.copyfileobj(old, raw)
        if suffix is None:
            yield raw
            return
        with COMPRESSIONS[suffix].writer(raw) as stream:
            yield stream
