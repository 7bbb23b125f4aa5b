"""base.vocab.json + base.npy (+ meta, counts): round trips, mmap, interop and corrupted files."""
import json

import numpy as np
import pytest

from w2vm.io import npy_vocab
from w2vm.models.keyedvectors import KeyedVectors


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    kv = KeyedVectors(8, levels=[2, 8])
    keys = ["alpha", "béta", "γ", "日本", "x y"]
    kv.add_vectors(keys, rng.standard_normal((5, 8)).astype(np.float32))
    kv.set_vecattr(keys, "count", [50, 40, 30, 20, 10])
    return kv


def test_round_trip_with_levels_and_counts(tmp_path, kv):
    base = tmp_path / "vec"
    kv.save(base)
    assert json.loads((tmp_path / "vec.vocab.json").read_text("utf-8")) == kv.index_to_key
    arr = np.load(tmp_path / "vec.npy", allow_pickle=False)
    assert arr.dtype == np.float32 and arr.flags.c_contiguous
    meta = json.loads((tmp_path / "vec.meta.json").read_text())
    assert meta["levels"] == [2, 8] and meta["format_version"] == npy_vocab.FORMAT_VERSION
    back = KeyedVectors.load(base)
    assert back._state._key_to_index is None  # built on first use, not at load
    assert back.key_to_index == kv.key_to_index
    assert back.index_to_key == kv.index_to_key and back.levels == [2, 8]
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.expandos["count"], [50, 40, 30, 20, 10])
    assert back.expandos["count"].dtype == np.int64
    assert back.most_similar("alpha", level=2) == kv.most_similar("alpha", level=2)


@pytest.mark.parametrize("mode", ["r", "r+", "c"])
def test_mmap_modes(tmp_path, kv, mode):
    kv.save(tmp_path / "vec")
    back = KeyedVectors.load(tmp_path / "vec", mmap=mode)
    assert isinstance(back.vectors, np.memmap)
    assert back.vectors.flags.writeable == (mode != "r")
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert back.most_similar("γ", topn=2) == kv.most_similar("γ", topn=2)
    with pytest.raises(ValueError, match="mmap"):
        KeyedVectors.load(tmp_path / "vec", mmap="w")


def test_model_base_with_extra_meta_loads(tmp_path, kv):
    kv.save(tmp_path / "model", meta={"model": {"epochs": 5, "alpha": 0.025}})
    meta = json.loads((tmp_path / "model.meta.json").read_text())
    assert meta["model"]["epochs"] == 5 and meta["levels"] == [2, 8]
    npy_vocab.save_base(tmp_path / "raw", kv.index_to_key, kv.vectors, meta={"training": {"x": 1}})
    keys, vectors, meta = npy_vocab.load_base(tmp_path / "raw")
    assert keys == kv.index_to_key and meta["training"] == {"x": 1} and "counts_file" not in meta
    assert KeyedVectors.load(tmp_path / "raw").levels == [2, 4, 8]  # no levels recorded: defaults


def test_meta_is_optional(tmp_path, kv):
    kv.save(tmp_path / "vec")
    (tmp_path / "vec.meta.json").unlink()
    back = KeyedVectors.load(tmp_path / "vec")
    assert back.levels == [2, 4, 8] and back.index_to_key == kv.index_to_key
    assert npy_vocab.load_base(tmp_path / "vec")[2] == {}


def test_failed_save_keeps_previous_files(tmp_path, kv):
    kv.save(tmp_path / "vec")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError):
        npy_vocab.save_base(tmp_path / "vec", ["a", "a"], np.zeros((2, 8)))
    with pytest.raises(TypeError):
        npy_vocab.save_base(tmp_path / "vec", ["a"], np.zeros((1, 8)), meta={"x": object()})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.startswith(".")} == before


def test_word2vec_matryoshka_interop(tmp_path):
    w2m = pytest.importorskip("word2vec_matryoshka")
    w2m.set_seed(3)
    sentences = [["red", "green", "blue", "cyan", "日本"]] * 30
    model = w2m.Word2Vec(sentences=sentences, vector_size=8, min_count=1, workers=1)
    model.wv.save(str(tmp_path / "theirs"))
    ours = KeyedVectors.load(tmp_path / "theirs")
    assert ours.index_to_key == list(model.wv.index_to_key)
    np.testing.assert_array_equal(ours.vectors, np.asarray(model.wv.vectors))
    mm = KeyedVectors.load(tmp_path / "theirs", mmap="r")
    assert isinstance(mm.vectors, np.memmap)
    ours.save(tmp_path / "ours")
    theirs = w2m.KeyedVectors.load(str(tmp_path / "ours"))
    assert list(theirs.index_to_key) == ours.index_to_key
    np.testing.assert_array_equal(np.asarray(theirs.vectors), ours.vectors)
    np.testing.assert_allclose(np.asarray(theirs.get_vector("red", level=4)), ours.get_vector("red", level=4))


# ---------------------------------------------------------------- corrupted files
def _write(tmp_path, keys=("a", "b", "c"), vectors=None, raw_vocab=None):
    vectors = np.ones((3, 4), np.float32) if vectors is None else vectors
    np.save(tmp_path / "bad.npy", vectors, allow_pickle=True)
    if raw_vocab is None:
        raw_vocab = json.dumps(list(keys)).encode("utf-8")
    (tmp_path / "bad.vocab.json").write_bytes(raw_vocab)
    return tmp_path / "bad"


@pytest.mark.parametrize("case, match", [
    (dict(vectors=np.ones((3, 4), np.float64)), "dtype must be float32"),
    (dict(vectors=np.asfortranarray(np.ones((3, 4), np.float32))), "Fortran"),
    (dict(vectors=np.ones((3, 4, 1), np.float32)), "2-D"),
    (dict(vectors=np.ones((3, 0), np.float32)), "at least 1"),
    (dict(vectors=np.ones((2, 4), np.float32)), "3 keys.*2 vectors"),
    (dict(keys=("a", "b", "a")), "duplicate key 'a'"),
    (dict(keys=("a", None, "c")), "must be str or int"),
    (dict(raw_vocab=b'["a", "b", "\xff"]'), "not valid UTF-8"),
    (dict(raw_vocab=b'{"a": 1}'), "JSON list"),
    (dict(raw_vocab=b'["a", "b"'), "not valid JSON"),
    (dict(raw_vocab=b'["a", "b", "\\ud800"]'), "surrogate"),
    (dict(vectors=np.array([[1, 2, 3, np.nan]] * 3, np.float32)), "row 0 contains NaN"),
    (dict(vectors=np.array([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, np.inf, 4]], np.float32)), "row 2"),
    (dict(vectors=np.array([[object()] * 4] * 3, dtype=object)), "pickle"),
])
def test_corrupted_npy_vocab_raises_naming_file(tmp_path, case, match):
    base = _write(tmp_path, **case)
    with pytest.raises(ValueError, match=match) as info:
        KeyedVectors.load(base)
    assert "bad." in str(info.value)


def test_truncated_and_padded_npy(tmp_path):
    base = _write(tmp_path)
    data = (tmp_path / "bad.npy").read_bytes()
    (tmp_path / "bad.npy").write_bytes(data[:-5])
    with pytest.raises(ValueError, match="truncated"):
        KeyedVectors.load(base, mmap="r")
    (tmp_path / "bad.npy").write_bytes(data + b"\0" * 8)
    with pytest.raises(ValueError, match="trailing"):
        KeyedVectors.load(base)
    (tmp_path / "bad.npy").write_bytes(b"not a numpy file at all")
    with pytest.raises(ValueError, match="not a valid .npy"):
        KeyedVectors.load(base)
    # a header declaring a gigantic array is rejected before anything is allocated
    np.save(tmp_path / "bad.npy", np.ones((3, 4), np.float32))
    raw = (tmp_path / "bad.npy").read_bytes().replace(b"(3, 4)", b"(3000000000, 4)".ljust(6))
    (tmp_path / "bad.npy").write_bytes(raw)
    with pytest.raises(ValueError):
        KeyedVectors.load(base)


def test_missing_files(tmp_path, kv):
    with pytest.raises(FileNotFoundError, match="nothing.vocab.json"):
        KeyedVectors.load(tmp_path / "nothing")
    kv.save(tmp_path / "vec")
    (tmp_path / "vec.npy").unlink()
    with pytest.raises(FileNotFoundError, match="vec.npy"):
        KeyedVectors.load(tmp_path / "vec")


@pytest.mark.parametrize("patch, match", [
    ({"levels": [3, 5]}, "bad levels"),
    ({"format_version": 99}, "format_version"),
    ({"count": 7}, "count=7"),
    ({"counts_file": "../elsewhere.npy"}, "plain file name"),
])
def test_corrupted_meta(tmp_path, kv, patch, match):
    kv.save(tmp_path / "vec")
    meta = json.loads((tmp_path / "vec.meta.json").read_text())
    meta.update(patch)
    (tmp_path / "vec.meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=match):
        KeyedVectors.load(tmp_path / "vec")


def test_corrupted_counts(tmp_path, kv):
    kv.save(tmp_path / "vec")
    np.save(tmp_path / "vec.counts.npy", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="3 counts for 5 keys"):
        KeyedVectors.load(tmp_path / "vec")
    np.save(tmp_path / "vec.counts.npy", np.arange(5, dtype=np.float64))
    with pytest.raises(ValueError, match="int64"):
        KeyedVectors.load(tmp_path / "vec")
    (tmp_path / "vec.meta.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        KeyedVectors.load(tmp_path / "vec")


def test_loads_a_full_model_base(tmp_path):
    from w2vm.models.word2vec import Word2Vec
    sentences = [["a", "b", "c", "d"], ["b", "c", "d", "e"]] * 20
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1)
    model.save(tmp_path / "model")
    kv = KeyedVectors.load(tmp_path / "model")  # extra (training) meta keys are ignored
    assert kv.index_to_key == model.wv.index_to_key and kv.levels == model.wv.levels
    np.testing.assert_array_equal(kv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(kv.expandos["count"], model.wv.expandos["count"])
