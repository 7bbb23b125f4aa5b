"""Fuzzing the ``.vocab.json`` + ``.npy`` + ``.meta.json`` (+ counts, syn1neg, syn1) loaders.

``w2vm.io.npy_vocab.load_base``/``load_counts``, ``KeyedVectors.load`` and
``Word2Vec.load``: every input loads (and the result can be searched and
trained) or raises ``ValueError``/``EOFError`` with a message.
"""
import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzz_helpers import check_outcome, fuzz_settings, npy_bytes, npy_raw_header, npy_with_header, run_seeded
from w2vm.io.npy_vocab import MissingFileError, load_base, load_npy
from w2vm.models.keyedvectors import KeyedVectors
from w2vm.models.word2vec import Word2Vec

SEEDS = st.integers(0, 2**64 - 1)


@pytest.mark.parametrize("target", ["npy_vocab_base", "npy_vocab_kv", "word2vec_model"])
@fuzz_settings(150)
@given(seed=SEEDS)
def test_mutated_files(target, seed):
    """Saved files with one or more of them mutated (JSON fields retyped, .npy headers and values changed)."""
    run_seeded(target, seed)


@fuzz_settings(150)
@given(data=st.binary(max_size=200), mmap=st.sampled_from([None, "r"]))
def test_random_npy_bytes(tmp_path_factory, data, mmap):
    path = tmp_path_factory.mktemp("npy") / "a.npy"
    path.write_bytes(b"\x93NUMPY" + data)
    check_outcome(lambda: load_npy(path, mmap=mmap))


@fuzz_settings(100)
@given(shape=st.lists(st.integers(-2**64, 2**64), max_size=3), descr=st.sampled_from(["<f4", ">f4", "<i8", "|u1"]),
       payload=st.binary(max_size=64), mmap=st.sampled_from([None, "r"]))
def test_declared_npy_shape(tmp_path_factory, shape, descr, payload, mmap):
    """Any declared shape: checked against the file size before allocating or mapping."""
    path = tmp_path_factory.mktemp("npy") / "a.npy"
    path.write_bytes(npy_with_header({"descr": descr, "fortran_order": False, "shape": tuple(shape)}, payload))
    tracemalloc.start()
    try:
        check_outcome(lambda: load_npy(path, mmap=mmap))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 24


@fuzz_settings(100)
@given(keys=st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none(), st.booleans(), st.floats()),
                     max_size=6),
       meta=st.dictionaries(st.sampled_from(["count", "vector_size", "levels", "format_version", "counts_file"]),
                            st.one_of(st.integers(-2**70, 2**70), st.text(max_size=3), st.none(),
                                      st.lists(st.integers(-3, 9), max_size=4)), max_size=4))
def test_json_files(tmp_path_factory, keys, meta):
    """Hypothesis-built vocabularies and meta objects next to a valid .npy."""
    folder = tmp_path_factory.mktemp("kv")
    (folder / "kv.vocab.json").write_text(json.dumps(keys))
    (folder / "kv.meta.json").write_text(json.dumps(meta))
    np.save(folder / "kv.npy", np.ones((len(keys), 4), np.float32))
    check_outcome(lambda: KeyedVectors.load(str(folder / "kv")))


@pytest.fixture
def kv_base(tmp_path):
    kv = KeyedVectors(4)
    kv.add_vectors(["a", "b", "c"], np.eye(3, 4, dtype=np.float32))
    kv.set_vecattr(["a", "b", "c"], "count", [3, 2, 1])
    kv.save(tmp_path / "kv")
    return tmp_path / "kv"


@pytest.mark.parametrize("header", [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }",  # tokenize.TokenError inside numpy
    "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 300 + "2,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': '\x00'}",
])
def test_unparsable_npy_header(kv_base, header):
    """Regression (fuzzing): numpy's header parser let tokenize.TokenError escape."""
    npy = str(kv_base) + ".npy"
    with open(npy, "wb") as fh:
        fh.write(npy_raw_header(header, b"\0" * 48))
    with pytest.raises(ValueError, match="not a valid .npy file"):
        KeyedVectors.load(kv_base)


@pytest.mark.parametrize("shape", [(2**62 - 1, 4), (2**40, 2**40), (0, 2**63), (-2, -6)])
def test_npy_shape_overflow(kv_base, shape):
    """Regression: a shape whose int64 product overflowed to a small number matched the file size."""
    npy = str(kv_base) + ".npy"
    with open(npy, "wb") as fh:
        fh.write(npy_with_header({"descr": "<f4", "fortran_order": False, "shape": shape}, b"\0" * 48))
    with pytest.raises(ValueError):
        KeyedVectors.load(kv_base)


def test_counts_file_missing_or_not_a_file(kv_base):
    """Regression (fuzzing): a meta naming a missing counts file raised a bare FileNotFoundError."""
    meta_path = str(kv_base) + ".meta.json"
    meta = json.loads(open(meta_path).read())
    for name, error, message in (("gone.npy", MissingFileError, "no such file"),
                                 ("..", ValueError, "plain file name"), ("", ValueError, "plain file name")):
        meta["counts_file"] = name
        with open(meta_path, "w") as fh:
            json.dump(meta, fh)
        with pytest.raises(error, match=message):
            KeyedVectors.load(kv_base)
    assert issubclass(MissingFileError, FileNotFoundError) and issubclass(MissingFileError, ValueError)


@pytest.fixture
def model_base(tmp_path):
    corpus = [["a", "b", "c", "d"], ["b", "c", "a"]] * 3
    model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1, seed=1, hs=1, negative=2)
    model.save(tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize("name", ["syn1neg", "syn1"])
def test_output_weights_huge_shape(model_base, name):
    """Regression (fuzzing): np.load allocated a damaged header's shape (MemoryError)."""
    path = f"{model_base}.{name}.npy"
    with open(path, "wb") as fh:
        fh.write(npy_with_header({"descr": "<f4", "fortran_order": False, "shape": (2**37, 4)}, b"\0" * 64))
    with pytest.raises(ValueError, match=name):
        Word2Vec.load(model_base)


@pytest.mark.parametrize("field, value", [
    ("loss_history", 5), ("loss_history", [[1.0], "x"]), ("corpus_total_words", {"a": 1}),
    ("corpus_count", -1), ("epochs_trained", 2**64), ("min_alpha_yet_reached", "0.1"),
    ("train_count", True), ("effective_min_count", 1.5),
])
def test_training_state_types(model_base, field, value):
    """Regression (fuzzing): a retyped training state loaded, then train() raised TypeError."""
    meta_path = f"{model_base}.meta.json"
    meta = json.loads(open(meta_path).read())
    meta["model"]["state"][field] = value
    with open(meta_path, "w") as fh:
        json.dump(meta, fh)
    with pytest.raises(ValueError, match=field):
        Word2Vec.load(model_base)


@pytest.mark.parametrize("param, value", [("window", 2**40), ("negative", 2**31), ("workers", 10**6)])
def test_params_out_of_native_range(model_base, param, value):
    """Regression (fuzzing): window=2**40 loaded, then the native trainer raised OverflowError."""
    meta_path = f"{model_base}.meta.json"
    meta = json.loads(open(meta_path).read())
    meta["model"]["params"][param] = value
    with open(meta_path, "w") as fh:
        json.dump(meta, fh)
    with pytest.raises(ValueError, match=param):
        Word2Vec.load(model_base)


def test_valid_files_still_load(kv_base, model_base):
    keys, vectors, meta = load_base(kv_base)
    assert keys == ["a", "b", "c"] and vectors.shape == (3, 4) and meta["counts_file"]
    assert np.array_equal(load_npy(str(kv_base) + ".npy"), vectors)
    assert np.array_equal(load_npy(str(kv_base) + ".npy", mmap="r"), vectors)
    model = Word2Vec.load(model_base)
    model.train([["a", "b"]], total_examples=1, epochs=1)
    assert npy_bytes(np.zeros(2, np.float32)).startswith(b"\x93NUMPY")


def test_huge_sample_loads_and_trains(model_base):
    """Regression (run_fuzz.py): sample=1e308 in a model file loaded, then train() raised OverflowError."""
    meta_path = f"{model_base}.meta.json"
    meta = json.loads(open(meta_path).read())
    meta["model"]["params"]["sample"] = 1e308
    with open(meta_path, "w") as fh:
        json.dump(meta, fh)
    model = Word2Vec.load(model_base)
    model.train([["a", "b", "c"]], total_examples=1, epochs=1)
    assert np.isfinite(model.wv.vectors).all()
