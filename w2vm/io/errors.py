"""The one error for text that cannot be read: :class:`CorpusReadError`, naming the file, the place and the cause.

Every corpus reader (``LineSentence``, ``PathLineSentences``, ``Text8Corpus``,
``Word2Vec(corpus_file=...)``'s native reader) and every compressed-file
reader raises it, or one of its subclasses, so that a caller catches one type
and a user reads one line such as::

    corpus.txt: line 12873 (byte 804113): 'utf-8' codec can't decode byte 0xe9: invalid continuation byte

It is a ``ValueError``: the data is bad, not the call. Real I/O failures
(a missing file, a disk error) stay ``OSError``.
"""


class CorpusReadError(ValueError):
    """Text that cannot be read: bad bytes for the encoding, or damaged compressed data.

    Attributes
    ----------
    path : str
        The file.
    line : int or None
        1-based line number of the problem (for damaged compressed data: the
        line being read when the data ended or broke), when known.
    offset : int or None
        Byte offset of the problem in the (decompressed) text, when known.
    cause : str
        What is wrong, e.g. ``"'utf-8' codec can't decode byte 0xe9: invalid continuation byte"``.
    """

    #: whether ``line``/``offset`` are where reading stopped (within one read) rather than the exact byte
    approximate = False

    def __init__(self, path, cause, line=None, offset=None):
        self.path, self.cause, self.line, self.offset = str(path), str(cause), line, offset
        where = []
        if line is not None:
            where.append(f"line {line}")
        if offset is not None:
            where.append(f"byte {offset}" if not where else f"(byte {offset})")
        if where and self.approximate:
            where.insert(0, "near")
        place = f": {' '.join(where)}" if where else ""
        super().__init__(f"{self.path}{place}: {self.cause}")

    def __reduce__(self):  # picklable across processes (multiprocessing, Dask)
        return type(self), (self.path, self.cause, self.line, self.offset)

    def with_place(self, line=None, offset=None):
        """The same error (same class) with the line and/or offset filled in where they were unknown."""
        return type(self)(self.path, self.cause, self.line if self.line is not None else line,
                          self.offset if self.offset is not None else offset)


class CorruptCompressedFileError(CorpusReadError):
    """A ``.gz``/``.bz2``/``.xz`` file whose compressed data cannot be decoded.

    Its place is where the decompressed text stopped, known to within one
    read (64 KiB): the message says "near line N".
    """

    approximate = True


class TruncatedCompressedFileError(CorruptCompressedFileError, EOFError):
    """A compressed file that ends before its end-of-stream marker (an ``EOFError`` too)."""
