"""Fuzzing the C word2vec text/binary loaders (``w2vm.io.word2vec_format``, ``KeyedVectors.load_word2vec_format``).

Every input loads or raises ``ValueError``/``EOFError`` with a message
(``fuzz_helpers.check_outcome``); declared sizes never allocate more than the
file holds. ``run_fuzz.py`` runs the same targets for millions of inputs.
"""
import bz2
import gzip
import os
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzz_helpers import check_outcome, fuzz_settings, run_seeded
from w2vm.io.compression import CorruptCompressedFileError, TruncatedCompressedFileError
from w2vm.io.word2vec_format import TruncatedFileError, Word2VecFormatError, load_word2vec_format
from w2vm.models.keyedvectors import KeyedVectors

SEEDS = st.integers(0, 2**64 - 1)


@pytest.mark.parametrize("target", ["w2v_text", "w2v_binary", "w2v_text_kv", "w2v_binary_kv"])
@fuzz_settings(150)
@given(seed=SEEDS)
def test_mutated_files(target, seed):
    """Valid files, mutated (truncated, flipped, numbers swapped, compressed and damaged...)."""
    run_seeded(target, seed)


@fuzz_settings(150)
@given(data=st.binary(max_size=300), binary=st.booleans(), limit=st.sampled_from([None, 0, 1, 5]))
def test_random_bytes(tmp_path_factory, data, binary, limit):
    path = tmp_path_factory.mktemp("w2v") / "v.bin"
    path.write_bytes(data)
    check_outcome(lambda: load_word2vec_format(path, binary=binary, limit=limit))


@fuzz_settings(100)
@given(count=st.integers(-2**70, 2**70), dim=st.integers(-2**70, 2**70), binary=st.booleans(),
       body=st.sampled_from([b"", b"a 1 2\n", b"a \x00\x00\x80?\n", b"a 1\nb 2\n"]))
def test_declared_header_sizes(tmp_path_factory, count, dim, binary, body):
    """Any ``count dim`` header: checked against the file size before anything is allocated."""
    path = tmp_path_factory.mktemp("w2v") / "v.txt"
    path.write_bytes(f"{count} {dim}\n".encode() + body)
    tracemalloc.start()
    try:
        check_outcome(lambda: load_word2vec_format(path, binary=binary))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 24


@pytest.mark.parametrize("header", [b"99999999999 300\n", b"1 99999999999\n", b"3000000000 3000000000\n"])
@pytest.mark.parametrize("binary", [False, True])
def test_huge_header_is_truncated_file(tmp_path, header, binary):
    path = tmp_path / "v.bin"
    path.write_bytes(header + b"a 1 2\n")
    with pytest.raises(TruncatedFileError, match="header declares"):
        load_word2vec_format(path, binary=binary)


@pytest.mark.parametrize("header", [b"-1 5\n", b"5 -1\n", b"5 0\n", b"5\n", b"a b\n", b"\xff\xfe 3\n", b""])
def test_bad_header(tmp_path, header):
    path = tmp_path / "v.txt"
    path.write_bytes(header + b"a 1 2\n")
    with pytest.raises(Word2VecFormatError):
        load_word2vec_format(path)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_damaged_compressed_file(tmp_path, suffix):
    """Regression (fuzzing): gzip/bz2/lzma decoder errors escaped as OSError/zlib.error/LZMAError."""
    path = tmp_path / ("v.txt" + suffix)
    path.write_bytes(b"\x1f\x8b\x08\x00garbage, not compressed data at all" * 3)
    with pytest.raises(CorruptCompressedFileError, match="corrupt"):
        load_word2vec_format(path)


def test_truncated_gzip_is_eof(tmp_path):
    path = tmp_path / "v.txt.gz"
    path.write_bytes(gzip.compress(b"2 2\na 1 2\nb 3 4\n" * 50)[:-12])
    with pytest.raises(TruncatedCompressedFileError) as info:
        load_word2vec_format(path)
    assert isinstance(info.value, EOFError) and isinstance(info.value, ValueError)


def test_float16_overflow_is_rejected(tmp_path):
    """Regression (fuzzing): a binary float32 that overflows ``datatype=float16`` loaded as inf."""
    path = tmp_path / "v.bin"
    path.write_bytes(b"1 2\nbig " + np.array([1e6, 1.0], dtype="<f4").tobytes())
    with pytest.raises(Word2VecFormatError, match="NaN or infinity"):
        load_word2vec_format(path, binary=True, datatype=np.float16)
    keys, vectors, _ = load_word2vec_format(path, binary=True)
    assert keys == ["big"] and vectors[0, 0] == 1e6


@pytest.mark.parametrize("count", [b"99999999999999999999", b"-1"])
def test_fvocab_count_out_of_range(tmp_path, count):
    """Regression (fuzzing): a count beyond int64 in the fvocab file raised OverflowError."""
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 2\na 1 2\n")
    vocab = tmp_path / "v.vocab"
    vocab.write_bytes(b"a " + count + b"\n")
    with pytest.raises(Word2VecFormatError, match="out of range"):
        load_word2vec_format(path, fvocab=vocab)


def test_ten_megabyte_line(tmp_path):
    """A 10 MB record: one key with far too many values, and one 10 MB key."""
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 3\nk" + b" 1" * (5 << 20) + b"\n")
    with pytest.raises(Word2VecFormatError, match="values, expected 3"):
        load_word2vec_format(path)
    path.write_bytes(b"1 2\n" + b"k" * (10 << 20) + b" 1 2\n")
    keys, vectors, _ = load_word2vec_format(path)
    assert len(keys[0]) == 10 << 20 and vectors.shape == (1, 2)
    kv = KeyedVectors.load_word2vec_format(path, limit=1)
    assert len(kv) == 1


@pytest.mark.parametrize("data", [b"", b"\n", b"   \n", b"\r\n", b"\x00" * 10, b"2 2\r\na 1 2\r\nb 3 4\r\n"])
@pytest.mark.parametrize("binary", [False, True])
def test_edge_files(tmp_path, data, binary):
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    outcome = check_outcome(lambda: load_word2vec_format(path, binary=binary))
    if data.startswith(b"2 2\r\n") and not binary:
        assert outcome == "loaded"  # CRLF text files load (the \r is stripped)


def test_compressed_inputs_load(tmp_path):
    for name, pack in (("v.txt.gz", gzip.compress), ("v.txt.bz2", bz2.compress)):
        path = tmp_path / name
        path.write_bytes(pack(b"2 2\na 1 2\nb 3 4\n"))
        keys, vectors, _ = load_word2vec_format(os.fspath(path))
        assert keys == ["a", "b"] and vectors.tolist() == [[1, 2], [3, 4]]
