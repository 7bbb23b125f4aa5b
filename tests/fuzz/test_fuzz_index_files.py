"""Fuzzing the ANN index loaders (``BaseIndex.load`` and each index class's ``load``).

A loaded index is also searched (single, batch, filtered, funnel) and grown,
so a structure that passed validation but would send the native walk out of
bounds is caught as a crash here or in ``run_fuzz.py``.
"""
import json
import os
import random

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzz_helpers import (INDEX_KINDS, check_outcome, exercise_index, fuzz_settings, index_seed_files,
                          npy_with_header, run_seeded)
from w2vm.similarities import INDEX_CLASSES, BaseIndex

SEEDS = st.integers(0, 2**64 - 1)
PARAMS = {"hnsw": dict(M=4, ef_construction=16, seed=1), "ivf_flat": dict(n_lists=4, seed=1),
          "lsh": dict(n_tables=3, seed=1), "brute": {}}


@pytest.mark.parametrize("kind", INDEX_KINDS)
@fuzz_settings(100)
@given(seed=SEEDS)
def test_mutated_files(kind, seed):
    """Saved indexes with the JSON retyped and the .npy headers and state values changed."""
    run_seeded(f"index_{kind}", seed)


def _write(folder, files):
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)
    return os.path.join(folder, "index")


@pytest.mark.parametrize("kind", INDEX_KINDS)
@fuzz_settings(40)
@given(field=st.sampled_from(["dim", "index_level", "levels", "keys", "params", "state", "arrays", "kind",
                              "version", "vectors_file"]),
       value=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                                    st.text(max_size=4)),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                          max_leaves=6))
def test_json_fields(tmp_path_factory, kind, field, value):
    """Any JSON value in any top-level field of the index file."""
    files = dict(index_seed_files(kind)[1])
    meta = json.loads(files["index.json"])
    meta[field] = value
    files["index.json"] = json.dumps(meta).encode()
    path = _write(tmp_path_factory.mktemp("index"), files)
    check_outcome(lambda: exercise_index(BaseIndex.load(path), random.Random(0)))


def _load_with(tmp_path, kind, variant, edit):
    """Save-files of ``kind`` with ``edit(arrays, meta)`` applied to the loaded arrays; then load them."""
    files = dict(index_seed_files(kind)[variant])
    meta = json.loads(files["index.json"])
    arrays = {name: np.load(_tmp_npy(tmp_path, files[info["file"]])) for name, info in meta["arrays"].items()}
    edit(arrays, meta)
    for name, arr in arrays.items():
        info = meta["arrays"][name]
        files[info["file"]] = _npy(arr)
        info["shape"], info["dtype"] = list(arr.shape), str(arr.dtype)
    files["index.json"] = json.dumps(meta).encode()
    return BaseIndex.load(_write(tmp_path, files))


def _tmp_npy(tmp_path, data):
    path = tmp_path / "tmp.npy"
    path.write_bytes(data)
    return path


def _npy(arr):
    import io
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _set(name, index, value):
    def edit(arrays, meta):
        arr = arrays[name].copy()
        arr[index] = value
        arrays[name] = arr
    return edit


HNSW_DAMAGE = {
    "link out of range": _set("links0", (0, 1), 40),
    "negative link": _set("links0", (3, 1), -1),
    "link count above 2M": _set("links0", (0, 0), 9),
    "node level above max": _set("levels", 5, 32),
    "negative level": _set("levels", 5, -1),
    "entry point out of range": _set("entry", 0, 40),
    "entry level mismatch": _set("entry", 1, 30),
    "upper block offset overflow": _set("upper_off", slice(None), 2**63 - 1),  # regression (fuzzing)
    "upper block offset negative": _set("upper_off", slice(None), -5),
    "upper link count": _set("upper", slice(1, None, 5), 99),
    "upper link out of range": _set("upper", slice(None), 2**31 - 1),
}


@pytest.mark.parametrize("damage", sorted(HNSW_DAMAGE))
def test_hnsw_graph_damage(tmp_path, damage):
    with pytest.raises(ValueError, match="corrupted or inconsistent"):
        _load_with(tmp_path, "hnsw", 0, HNSW_DAMAGE[damage])


@pytest.mark.parametrize("damage, edit", [
    ("cell above n_lists", _set("assign", 0, 4)),
    ("negative cell", _set("assign", 7, -1)),
    ("centroid width", lambda a, m: a.__setitem__("centroids", a["centroids"][:, :3].copy())),
    ("no centroids", lambda a, m: a.__setitem__("centroids", a["centroids"][:0].copy())),
])
def test_ivf_damage(tmp_path, damage, edit):
    with pytest.raises(ValueError, match="corrupted or inconsistent"):
        _load_with(tmp_path, "ivf_flat", 0, edit)


@pytest.mark.parametrize("damage, edit", [
    ("signature table count", lambda a, m: a.__setitem__("signatures", a["signatures"][:2].copy())),
    ("65 bits per table", lambda a, m: a.__setitem__("planes", np.ones((3 * 65, 8), np.float32))),
    ("planes width", lambda a, m: a.__setitem__("planes", a["planes"][:, :4].copy())),
])
def test_lsh_damage(tmp_path, damage, edit):
    with pytest.raises(ValueError, match="corrupted or inconsistent"):
        _load_with(tmp_path, "lsh", 0, edit)


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_common_damage(tmp_path, kind):
    for edit in (_set("ids", 0, -1), _set("ids", 1, 0), _set("deleted", 0, 2)):
        with pytest.raises(ValueError, match="corrupted or inconsistent"):
            _load_with(tmp_path, kind, 0, edit)


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_huge_declared_array(tmp_path, kind):
    """Regression (fuzzing): np.load allocated a damaged header's shape (MemoryError)."""
    files = dict(index_seed_files(kind)[0])
    files["index.ids.npy"] = npy_with_header({"descr": "<i8", "fortran_order": False, "shape": (2**40,)}, b"\0" * 320)
    with pytest.raises(ValueError, match="truncated file"):
        BaseIndex.load(_write(str(tmp_path), files))


@pytest.mark.parametrize("field, value", [("kind", {"a": 1}), ("kind", ["hnsw"]), ("levels", [4, 2, 8]),
                                          ("levels", "8"), ("keys", [{"a": 1}] * 40), ("keys", [[1]] * 40)])
def test_bad_json_values(tmp_path, field, value):
    """Regression (fuzzing): an unhashable kind raised TypeError; bad levels/keys loaded unchecked."""
    files = dict(index_seed_files("brute")[1])
    meta = json.loads(files["index.json"])
    meta[field] = value
    files["index.json"] = json.dumps(meta).encode()
    with pytest.raises(ValueError):
        BaseIndex.load(_write(str(tmp_path), files))


def test_add_after_largest_id(tmp_path):
    """Regression (fuzzing): default ids after id 2**63-1 overflowed (OverflowError) in add()."""
    index = _load_with(tmp_path, "brute", 0, _set("ids", 5, 2**63 - 1))
    with pytest.raises(ValueError, match="no room"):
        index.add(np.ones((1, 8), np.float32))
    assert index.add(np.ones((1, 8), np.float32), ids=[1000]).tolist() == [1000]


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_seed_files_load_and_search(tmp_path, kind):
    for variant, files in enumerate(index_seed_files(kind)):
        folder = tmp_path / str(variant)
        folder.mkdir()
        index = INDEX_CLASSES[kind].load(_write(str(folder), files))
        assert check_outcome(lambda: exercise_index(index, random.Random(variant))) == "loaded"
