"""Corpus readers with gensim's names: restartable iterables of token lists.

Each reader opens its file(s) afresh on every ``__iter__``, so it can be passed
to ``Word2Vec`` and read once per epoch with bounded memory.
"""
import io
import itertools
import os

from w2vm.io.compression import open_read

DEFAULT_MAX_SENTENCE_LENGTH = 10000


def open_text(path, encoding="utf-8", errors="strict"):
    """Open a text file, decompressing ``.gz`` / ``.bz2`` by extension."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory, not a corpus file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"corpus file {path!r} does not exist")
    if path.endswith((".gz", ".bz2")):
        # damaged compressed data raises CorruptCompressedFileError (a ValueError) naming the file
        return io.TextIOWrapper(open_read(path), encoding=encoding, errors=errors)
    return open(path, "r", encoding=encoding, errors=errors)


def _check_length(max_sentence_length):
    if isinstance(max_sentence_length, bool) or not isinstance(max_sentence_length, int):
        raise TypeError("max_sentence_length must be an int")
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    return max_sentence_length


def _split_long(tokens, max_sentence_length):
    # gensim truncates nothing here either: long lines become several sentences
    for start in range(0, len(tokens), max_sentence_length):
        yield tokens[start:start + max_sentence_length]


class LineSentence:
    """One sentence per line, tokens separated by whitespace (the C tool's format).

    Parameters
    ----------
    source : str, os.PathLike or file-like
        A path (``.gz`` and ``.bz2`` are decompressed) or an open file; a file
        object is rewound with ``seek(0)`` at each pass.
    max_sentence_length : int
        Longer lines are split into several sentences of at most this many tokens.
    limit : int or None
        Read only the first ``limit`` lines.
    """

    def __init__(self, source, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, limit=None):
        self.source = source
        self.max_sentence_length = _check_length(max_sentence_length)
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        self.limit = limit
        if not hasattr(source, "read"):
            path = os.fspath(source)
            if os.path.isdir(path):
                raise IsADirectoryError(f"{path!r} is a directory; use PathLineSentences for folders")
            if not os.path.exists(path):
                raise FileNotFoundError(f"corpus file {path!r} does not exist")

    def __iter__(self):
        if hasattr(self.source, "read"):
            self.source.seek(0)
            yield from self._sentences(
                line.decode("utf-8") if isinstance(line, bytes) else line for line in self.source)
        else:
            with open_text(self.source) as fh:
                yield from self._sentences(fh)

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


class PathLineSentences:
    """Every file in a folder (sorted by name), each read as a :class:`LineSentence`.

    A single file path is accepted too.
    """

    def __init__(self, source, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, limit=None):
        self.source = os.fspath(source)
        self.max_sentence_length = _check_length(max_sentence_length)
        self.limit = limit
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
        for path in self.input_files:
            yield from LineSentence(path, self.max_sentence_length, self.limit)


class Text8Corpus:
    """The text8 format: one long line of space-separated tokens, cut into sentences.

    The file is read in blocks, so its size does not matter.
    """

    def __init__(self, fname, max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH):
        self.fname = os.fspath(fname)
        self.max_sentence_length = _check_length(max_sentence_length)
        if os.path.isdir(self.fname):
            raise IsADirectoryError(f"{self.fname!r} is a directory, not a corpus file")
        if not os.path.exists(self.fname):
            raise FileNotFoundError(f"corpus file {self.fname!r} does not exist")

    def __iter__(self):
        sentence, rest = [], []  # rest: pieces of a word that may continue in the next block
        with open_text(self.fname) as fh:
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
