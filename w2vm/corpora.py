"""Corpus readers with gensim's names: restartable iterables of token lists.

Each reader opens its file(s) afresh on every ``__iter__``, so it can be passed
to ``Word2Vec`` and read once per epoch with bounded memory. Files are
decompressed by name (``.gz``, ``.bz2``, ``.xz``: the table of
:mod:`w2vm.io.compression`) and decoded with ``encoding``/``errors`` as
Python's ``open`` does (default strict UTF-8, gensim's behaviour).

Bad data raises :class:`CorpusReadError` (a ``ValueError``) naming the file,
the line, the byte offset and the cause -- undecodable bytes, or damaged or
truncated compressed data (its subclasses ``CorruptCompressedFileError`` and
``TruncatedCompressedFileError``). With ``errors='replace'`` or ``'ignore'``
undecodable bytes become U+FFFD or vanish instead.

This module belongs to the Models part (``w2vm.models.word2vec`` re-exports
the readers under gensim's paths); other parts reach files through it.
"""
import itertools
import os

from w2vm.io.compression import (COMPRESSED_SUFFIXES, CorruptCompressedFileError,  # noqa: F401  (re-exported)
                                 TruncatedCompressedFileError, disk_position, is_compressed)
from w2vm.io.errors import CorpusReadError
from w2vm.io.text import (ERROR_POLICIES, check_encoding, decode_error, is_strict_utf8,  # noqa: F401
                          open_text, with_line)

DEFAULT_MAX_SENTENCE_LENGTH = 10000

# the readers, their error, and what other parts need to open text files (they reach Formats through here)
__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus", "CorpusReadError", "CorruptCompressedFileError",
           "TruncatedCompressedFileError", "open_text", "decode_error", "with_line", "is_compressed",
           "is_strict_utf8", "COMPRESSED_SUFFIXES", "ERROR_POLICIES"]


def _check_length(max_sentence_length):
    if isinstance(max_sentence_length, bool) or not isinstance(max_sentence_length, int):
        raise TypeError("max_sentence_length must be an int")
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    return max_sentence_length


def _check_file(path, hint):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory{hint}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"corpus file {path!r} does not exist")
    return path


def _split_long(tokens, max_sentence_length):
    # gensim truncates nothing here either: long lines become several sentences
    for start in range(0, len(tokens), max_sentence_length):
        yield tokens[start:start + max_sentence_length]


class _Pass:
    """Where a reader's current pass stands in bytes of its file(s) on disk, for progress bars."""

    def __init__(self, paths):
        self.sizes = [os.path.getsize(p) for p in paths]
        self.finished = 0      # bytes of the files already read
        self.stream = None     # the binary stream being read

    def fraction(self):
        total = sum(self.sizes)
        if not total:
            return None
        now = disk_position(self.stream) if self.stream is not None else 0
        return min((self.finished + (now or 0)) / total, 1.0)


class _Reader:
    """What the file readers share: encoding, the position of a pass, errors with their place."""

    encoding, errors = "utf-8", "strict"
    limit = None
    _pass = None

    def _init_text(self, encoding, errors):
        check_encoding(encoding, errors)
        self.encoding, self.errors = encoding, errors

    def size_on_disk(self):
        """Bytes of the file(s) this reader reads, as stored (compressed or not)."""
        files = getattr(self, "input_files", None) or [getattr(self, "fname", None) or self.source]
        return sum(os.path.getsize(f) for f in files) if not hasattr(files[0], "read") else None

    def progress(self):
        """Fraction (0..1) of the file(s) on disk read by the pass in progress (or the last one), or ``None``.

        For compressed files it is the fraction of the compressed bytes, which
        tracks the text closely. ``w2vm train`` draws its vocabulary-scan bar with it.
        """
        return self._pass.fraction() if self._pass is not None else None

    def _file_sentences(self, path, state, size):
        with open_text(path, self.encoding, self.errors) as fh:
            state.stream = fh.buffer
            try:
                yield from self._sentences(fh)
            except UnicodeDecodeError:
                # raised a buffer or more past the bad bytes: decode again to find them exactly
                raise decode_error(path, self.encoding, self.errors) from None
            except CorpusReadError as exc:
                raise with_line(exc) from None
            finally:
                state.stream = None
        state.finished += size

    def _sentences(self, lines):
        # once per line of every epoch, beside the training threads (with
        # workers=2 its time is theirs): kept to the bare minimum
        if self.limit is not None:
            lines = itertools.islice(lines, self.limit)
        longest = self.max_sentence_length
        for line in lines:
            tokens = line.split()
            if len(tokens) > longest:
                yield from _split_long(tokens, longest)
            else:
                yield tokens


class LineSentence(_Reader):
    """One sentence per line, tokens separated by whitespace (the C tool's format).

    Parameters
    ----------
    source : str, os.PathLike or file-like
        A path (``.gz``, ``.bz2`` and ``.xz`` are decompressed) or an open
        file; a file object is rewound with ``seek(0)`` at each pass.
    max_sentence_length : int
        Longer lines are split into several sentences of at most this many tokens.
    limit : int or None
        Read only the first ``limit`` lines.
    encoding, errors : str
        As for Python's ``open``: the text encoding (default UTF-8) and what
        to do with bytes that do not decode (``'strict'``: raise
        :class:`CorpusReadError`; ``'replace'``; ``'ignore'``). A binary file
        object is decoded with them too.

    Raises
    ------
    CorpusReadError
        While iterating: undecodable bytes (with ``errors='strict'``) or
        damaged compressed data, naming the file, line, byte offset and cause.
    """

    def __init__(self, source, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, limit=None, encoding="utf-8",
                 errors="strict"):
        self.source = source
        self.max_sentence_length = _check_length(max_sentence_length)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        self.limit = limit
        self._init_text(encoding, errors)
        if not hasattr(source, "read"):
            _check_file(source, "; use PathLineSentences for folders")

    def __iter__(self):
        if hasattr(self.source, "read"):
            self.source.seek(0)
            yield from self._sentences(self._object_lines())
            return
        path = os.fspath(self.source)
        self._pass = state = _Pass([path])
        yield from self._file_sentences(path, state, state.sizes[0])

    def _object_lines(self):
        name = getattr(self.source, "name", "<file object>")
        for number, line in enumerate(self.source, 1):
            if isinstance(line, bytes):
                try:
                    line = line.decode(self.encoding, self.errors)
                except UnicodeDecodeError as exc:
                    raise CorpusReadError(name, f"{exc.encoding!r} codec can't decode byte "
                                                f"0x{exc.object[exc.start]:02x}: {exc.reason}", line=number) from None
            yield line


class PathLineSentences(_Reader):
    """Every file in a folder (sorted by name), each read as a :class:`LineSentence`.

    A single file path is accepted too. ``encoding``/``errors`` as for :class:`LineSentence`.
    """

    def __init__(self, source, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, limit=None, encoding="utf-8",
                 errors="strict"):
        self.source = os.fspath(source)
        self.max_sentence_length = _check_length(max_sentence_length)
        self.limit = limit
        self._init_text(encoding, errors)
        if os.path.isfile(self.source):
            self.input_files = [self.source]
        elif os.path.isdir(self.source):
            self.input_files = sorted(
                os.path.join(self.source, name) for name in os.listdir(self.source)
                if os.path.isfile(os.path.join(self.source, name)) and not name.startswith(".")
            )
            if not self.input_files:
                raise ValueError(f"folder {self.source!r} holds no corpus files")
        else:
            raise FileNotFoundError(f"corpus path {self.source!r} does not exist")

    def __iter__(self):
        self._pass = state = _Pass(self.input_files)
        for path, size in zip(self.input_files, state.sizes):
            # limit counts the lines of each file, as in gensim
            yield from self._file_sentences(path, state, size)


class Text8Corpus(_Reader):
    """The text8 format: one long line of space-separated tokens, cut into sentences.

    The file is read in blocks, so its size does not matter. ``encoding``/``errors``
    as for :class:`LineSentence`.
    """

    def __init__(self, fname, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, encoding="utf-8", errors="strict"):
        self.fname = _check_file(fname, ", not a corpus file")
        self.max_sentence_length = _check_length(max_sentence_length)
        self._init_text(encoding, errors)

    def __iter__(self):
        self._pass = state = _Pass([self.fname])
        try:
            yield from self._words()
            state.finished = state.sizes[0]
        except UnicodeDecodeError:
            raise decode_error(self.fname, self.encoding, self.errors) from None
        except CorpusReadError as exc:
            raise with_line(exc) from None
        finally:
            self._pass.stream = None

    def _words(self):
        sentence, rest = [], []  # rest: pieces of a word that may continue in the next block
        with open_text(self.fname, self.encoding, self.errors) as fh:
            self._pass.stream = fh.buffer
            while True:
                block = fh.read(1 << 20)
                if not block:
                    words, rest = "".join(rest).split(), []
                else:
                    # the last word may continue in the next block
                    last_space = max(block.rfind(" "), block.rfind("\n"))
                    if last_space < 0:
                        rest.append(block)  # a list, not str +=: a long run without spaces stays linear
                        continue
                    words = "".join(rest + [block[:last_space]]).split()
                    rest = [block[last_space + 1:]]
                sentence.extend(words)
                start, size = 0, self.max_sentence_length
                while len(sentence) - start >= size:  # one cut per block, not one list copy per sentence
                    yield sentence[start:start + size]
                    start += size
                del sentence[:start]
                if not block:
                    break
        if sentence:
            yield sentence
