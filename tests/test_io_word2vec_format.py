"""word2vec C text/binary and GloVe formats: round trips, gensim byte-compatibility, corrupted files."""
import numpy as np
import pytest

from w2vm.io.word2vec_format import TruncatedFileError, Word2VecFormatError
from w2vm.models.keyedvectors import KeyedVectors

D = 6


@pytest.fixture
def kv():
    rng = np.random.default_rng(5)
    kv = KeyedVectors(D, levels=[3, 6])
    keys = [f"w{i}" for i in range(40)] + ["naïve", "日本"]
    vectors = rng.standard_normal((len(keys), D)).astype(np.float32)
    vectors[0, 0] = 1e-7  # exercises the scientific-notation branch of str(float32)
    kv.add_vectors(keys, vectors)
    kv.set_vecattr(keys, "count", rng.integers(1, 5, len(keys)))  # ties: order must stay stable
    return kv


def _by_count(kv):
    return [kv.index_to_key[i] for i in np.argsort(-kv.expandos["count"], kind="stable")]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_round_trip(tmp_path, kv, binary, suffix):
    path = tmp_path / f"v.w2v{suffix}"
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    order = _by_count(kv)
    assert back.index_to_key == order  # most frequent first, as gensim writes
    np.testing.assert_array_equal(back.vectors, kv[order])
    assert back.vectors.dtype == np.float32 and back.vectors.flags.c_contiguous
    # gensim's made-up counts keep the file order under sort_by_descending_frequency
    np.testing.assert_array_equal(back.expandos["count"], np.arange(len(kv), 0, -1))


def test_level_export_limit_and_datatype(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v3.bin", binary=True, level=3)
    back = KeyedVectors.load_word2vec_format(tmp_path / "v3.bin", binary=True)
    assert back.vector_size == 3
    np.testing.assert_array_equal(back.vectors, kv[_by_count(kv)][:, :3])
    lim = KeyedVectors.load_word2vec_format(tmp_path / "v3.bin", binary=True, limit=5)
    assert len(lim) == 5 and lim.index_to_key == back.index_to_key[:5]
    kv.save_word2vec_format(tmp_path / "v.txt")
    half = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", datatype=np.float16, limit=4)
    assert half.vectors.dtype == np.float16 and len(half) == 4


def test_limit_reads_only_what_it_needs(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    rec = len("w0 ") + 4 * D  # every record of the first few is "wN " + floats
    head_len = data.index(b"\n") + 1
    cut = data[:head_len + 5 * (rec + 1)] + b"\xff garbage that is never read"
    (tmp_path / "cut.bin").write_bytes(cut)
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "cut.bin", binary=True, limit=3)) == 3


def test_c_tool_binary_with_newlines_and_glove(tmp_path, kv):
    # the original C tool writes "\n" after every binary vector
    vectors = kv.vectors
    with open(tmp_path / "c.bin", "wb") as fh:
        fh.write(f"{len(kv)} {D}\n".encode())
        for key, row in zip(kv.index_to_key, vectors):
            fh.write(key.encode() + b" " + row.astype("<f4").tobytes() + b"\n")
    back = KeyedVectors.load_word2vec_format(tmp_path / "c.bin", binary=True)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, vectors)
    kv.save_word2vec_format(tmp_path / "glove.txt", write_header=False)
    glove = KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True)
    assert glove.index_to_key == _by_count(kv)
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True, limit=7)) == 7
    with pytest.raises(ValueError, match="no_header"):
        KeyedVectors.load_word2vec_format(tmp_path / "c.bin", binary=True, no_header=True)


def test_fvocab(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
    lines = (tmp_path / "v.vocab").read_text("utf-8").splitlines()
    assert lines[0] == f"{_by_count(kv)[0]} {kv.expandos['count'].max()}"
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
    assert back.get_vecattr("naïve", "count") == kv.get_vecattr("naïve", "count")


def test_gensim_byte_compatibility(tmp_path, kv):
    gensim_models = pytest.importorskip("gensim.models")
    g = kv.to_gensim()
    for binary in (False, True):
        ours, theirs = tmp_path / f"ours{binary}", tmp_path / f"theirs{binary}"
        kv.save_word2vec_format(ours, binary=binary, fvocab=str(ours) + ".vocab")
        g.save_word2vec_format(str(theirs), binary=binary, fvocab=str(theirs) + ".vocab")
        assert ours.read_bytes() == theirs.read_bytes()
        assert (tmp_path / f"ours{binary}.vocab").read_bytes() == (tmp_path / f"theirs{binary}.vocab").read_bytes()
        loaded = gensim_models.KeyedVectors.load_word2vec_format(str(ours), binary=binary)
        mine = KeyedVectors.load_word2vec_format(theirs, binary=binary)
        assert loaded.index_to_key == mine.index_to_key
        np.testing.assert_array_equal(loaded.vectors, mine.vectors)
        np.testing.assert_array_equal(loaded.expandos["count"], mine.expandos["count"])


def test_gensim_live_conversion(kv):
    pytest.importorskip("gensim")
    g = kv.to_gensim(level=3)
    assert g.vector_size == 3 and g.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(g.vectors, kv.vectors[:, :3])
    np.testing.assert_array_equal(g.expandos["count"], kv.expandos["count"])
    theirs, ours = g.most_similar("w1", topn=3), kv.most_similar("w1", topn=3, level=3)
    assert [k for k, _ in theirs] == [k for k, _ in ours]
    np.testing.assert_allclose([s for _, s in theirs], [s for _, s in ours], rtol=1e-6)
    back = KeyedVectors.from_gensim(kv.to_gensim())
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.expandos["count"], kv.expandos["count"])
    with pytest.raises(TypeError):
        KeyedVectors.from_gensim(object())


# ---------------------------------------------------------------- corrupted files
@pytest.mark.parametrize("content, match", [
    (b"3\n", "bad header"),
    (b"three 4\n", "bad header"),
    (b"2 3\na 1 2 3\nb 1.2345 2.2345\n", r"record 1 \('b'\) has 2 values, expected 3"),
    (b"2 3\na 1 2 3\nb 1 x 3\n", "record 1"),
    (b"2 3\na 1 2 3\nb 1 nan 3\n", "record 1 has NaN"),
    (b"2 3\na 1 2 3\n\xff\xfe 1 2 3\n", "not valid utf8"),
    (b"5 3\na 1 2 3\nb 1 2 3\n", "truncated|at least"),
])
def test_corrupted_text(tmp_path, content, match):
    (tmp_path / "bad.txt").write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        KeyedVectors.load_word2vec_format(tmp_path / "bad.txt")
    assert "bad.txt" in str(info.value)


def test_corrupted_binary(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "trunc.bin").write_bytes(data[:-3])
    with pytest.raises(TruncatedFileError, match="trunc.bin"):
        KeyedVectors.load_word2vec_format(tmp_path / "trunc.bin", binary=True)
    (tmp_path / "trunc.bin.gz").write_bytes(__import__("gzip").compress(data[:-3]))
    with pytest.raises(EOFError, match="truncated"):  # compressed: found while reading
        KeyedVectors.load_word2vec_format(tmp_path / "trunc.bin.gz", binary=True)
    huge = data.replace(f"{len(kv)} {D}".encode(), b"99999999999 6", 1)
    (tmp_path / "huge.bin").write_bytes(huge)
    with pytest.raises(Word2VecFormatError, match="header declares 99999999999"):
        KeyedVectors.load_word2vec_format(tmp_path / "huge.bin", binary=True)
    nan = bytearray(data)
    start = data.index(b" ", data.index(b"\n")) + 1
    nan[start:start + 4] = np.array([np.nan], "<f4").tobytes()
    (tmp_path / "nan.bin").write_bytes(bytes(nan))
    with pytest.raises(ValueError, match="record 0 has NaN"):
        KeyedVectors.load_word2vec_format(tmp_path / "nan.bin", binary=True)


def test_unicode_errors_and_duplicates(tmp_path):
    (tmp_path / "u.txt").write_bytes(b"3 2\nab\xc3 1 2\ncd 3 4\ncd 5 6\n")
    with pytest.raises(ValueError, match="not valid utf8"):
        KeyedVectors.load_word2vec_format(tmp_path / "u.txt")
    with pytest.warns(UserWarning, match="duplicate"):
        kv = KeyedVectors.load_word2vec_format(tmp_path / "u.txt", unicode_errors="ignore")
    assert kv.index_to_key == ["ab", "cd"]
    np.testing.assert_array_equal(kv["cd"], [3, 4])


def test_unsavable_keys(tmp_path):
    kv = KeyedVectors(2)
    kv.add_vectors(["has space"], np.ones((1, 2)))
    with pytest.raises(ValueError, match="has space"):
        kv.save_word2vec_format(tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()
