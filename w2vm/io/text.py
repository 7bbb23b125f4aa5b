"""Reading text files as Python's ``open`` does (``encoding=``, ``errors=``), with errors that say where.

:func:`open_text` decompresses by name (:mod:`w2vm.io.compression`) and
decodes. A decoding error surfaces inside a buffered read, a block or more
after the bytes that caused it, so :func:`decode_error` finds the exact line
and byte offset by decoding the file again up to the bad bytes (a cost paid
only on the error path). :func:`error_at_offset` does the same for a byte
offset reported by native code.
"""
import codecs
import io
import os

from w2vm.io.compression import open_read
from w2vm.io.errors import CorpusReadError

ERROR_POLICIES = ("strict", "replace", "ignore")
_BLOCK = 1 << 20


def check_encoding(encoding, errors):
    """Validate ``encoding``/``errors`` as ``open`` would; return the codec's canonical name.

    Raises ``LookupError`` for an unknown encoding or error handler (as ``open`` does).
    """
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str, not {type(encoding).__name__}")
    if not isinstance(errors, str):
        raise TypeError(f"errors must be a str, not {type(errors).__name__}")
    name = codecs.lookup(encoding).name  # LookupError: unknown encoding: ...
    codecs.lookup_error(errors)          # LookupError: unknown error handler name ...
    return name


def is_strict_utf8(encoding, errors):
    """Whether ``encoding``/``errors`` mean strict UTF-8 (what the native corpus reader implements)."""
    return errors == "strict" and codecs.lookup(encoding).name == "utf-8"


def open_text(path, encoding="utf-8", errors="strict"):
    """Open ``path`` for reading text (universal newlines), decompressing ``.gz``/``.bz2``/``.xz`` by name.

    Parameters
    ----------
    path : str or os.PathLike
    encoding, errors : str
        As for Python's ``open`` (``errors``: ``'strict'``, ``'replace'``, ``'ignore'``, ...).

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        Naming the path.
    """
    path = os.fspath(path)
    check_encoding(encoding, errors)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory, not a text file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path!r} does not exist")
    return io.TextIOWrapper(open_read(path), encoding=encoding, errors=errors)


def _line_ends(data, previous):
    """Universal-newline line ends in ``data`` (``\\n``, ``\\r\\n``, lone ``\\r``); ``previous``: the byte before."""
    ends = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    if previous == b"\r" and data[:1] == b"\n":
        ends -= 1  # the \n of a \r\n cut by the block boundary: already counted at its \r
    return ends


def line_of_offset(path, offset):
    """1-based line number holding byte ``offset`` of the (decompressed) file, universal newlines."""
    line, done, previous = 1, 0, b""
    with open_read(path) as fh:
        while done < offset:
            try:
                block = fh.read(min(_BLOCK, offset - done))
            except CorpusReadError:  # damaged data just past what was read before: count what there is
                break
            if not block:
                break
            line += _line_ends(block, previous)
            previous = block[-1:]
            done += len(block)
    return line


def with_line(exc):
    """``exc`` (a :class:`CorpusReadError` that knows its byte offset) with its line number filled in."""
    if exc.line is None and exc.offset is not None:
        return exc.with_place(line=line_of_offset(exc.path, exc.offset))
    return exc


def _ascii_compatible(encoding):
    try:
        return "\n\r a".encode(encoding) == b"\n\r a"
    except (LookupError, UnicodeError):
        return False


def _cause(exc):
    """``'utf-8' codec can't decode byte 0xe9: invalid continuation byte`` (no position: the caller gives it)."""
    bad = exc.object[exc.start:exc.end]
    what = f"byte 0x{bad[0]:02x}" if len(bad) == 1 else f"bytes {bad!r}"
    return f"{exc.encoding!r} codec can't decode {what}: {exc.reason}"


def decode_error(path, encoding="utf-8", errors="strict", lines_read=None):
    """The :class:`CorpusReadError` for the first undecodable bytes of ``path``.

    Decodes the file again from its start, in blocks, until the decoder
    fails; returns an error with the exact byte offset and line number.
    ``lines_read`` is the fallback line (lines read before the failure) if
    the failure cannot be reproduced (the file changed meanwhile).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    count_lines = _ascii_compatible(encoding)
    done, line, previous = 0, 1, b""
    with open_read(path) as fh:
        while True:
            block = fh.read(_BLOCK)
            final = not block
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder still held from the previous block
                held = len(exc.object) - len(block)
                offset = done - held + exc.start
                if count_lines:
                    head = block[:max(exc.start - held, 0)]
                    line += _line_ends(head, previous)
                    # a sequence started in the previous block: its line end count is already in
                return CorpusReadError(path, _cause(exc), line=line if count_lines else None, offset=offset)
            if final:
                break
            if count_lines:
                line += _line_ends(block, previous)
                previous = block[-1:]
            done += len(block)
    # not reproducible: report what the reader knew
    return CorpusReadError(path, f"the text cannot be decoded as {encoding}",
                           line=None if lines_read is None else lines_read + 1)


def error_at_offset(path, offset):
    """The :class:`CorpusReadError` for invalid UTF-8 starting at byte ``offset`` (reported by native code)."""
    with open_read(path) as fh:
        if fh.seekable():
            fh.seek(offset)
        else:
            skipped = 0
            while skipped < offset and (block := fh.read(min(_BLOCK, offset - skipped))):
                skipped += len(block)
        window = fh.read(4)
    try:
        window.decode("utf-8")
    except UnicodeDecodeError as exc:
        cause = _cause(exc)
    else:
        cause = "invalid UTF-8"
    return CorpusReadError(path, cause, line=line_of_offset(path, offset), offset=offset)
