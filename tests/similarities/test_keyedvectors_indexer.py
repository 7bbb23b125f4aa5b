"""w2vm's own KeyedVectors with an index as ``indexer=`` (skipped while the engine is unbuilt)."""
import numpy as np
import pytest

from w2vm.similarities import BaseIndex, HNSWIndex, IVFFlatIndex

kvmod = pytest.importorskip("w2vm.models.keyedvectors")


@pytest.fixture(scope="module")
def kv(dataset):
    base, _ = dataset
    kv = kvmod.KeyedVectors(48, levels=[12, 24, 48])
    kv.add_vectors([f"w{i}" for i in range(len(base))], base)
    return kv


@pytest.mark.parametrize("cls", [HNSWIndex, IVFFlatIndex])
def test_most_similar_with_indexer(kv, cls):
    index = cls(seed=0).build(kv)
    assert index.levels == [12, 24, 48]
    approx = kv.most_similar("w3", topn=6, indexer=index)
    assert approx[0][0] == "w3"                         # gensim's indexers keep the query key
    exact = kv.most_similar("w3", topn=5)
    assert len({k for k, _ in approx[1:]} & {k for k, _ in exact}) >= 4
    # A level-m query (a vector of length m) needs an index walked at <= m dims,
    # and is then re-ranked at that prefix.
    with pytest.raises(ValueError):
        kv.most_similar("w3", topn=3, level=24, indexer=index)
    index12 = cls(seed=0).build(kv, level=12)
    at24 = kv.most_similar("w3", topn=3, level=24, indexer=index12)
    assert at24[0][0] == "w3" and abs(at24[0][1] - 1.0) < 1e-5


def test_index_references_the_keyedvectors_npy(kv, tmp_path):
    kv.save(str(tmp_path / "kv"))
    mapped = kvmod.KeyedVectors.load(str(tmp_path / "kv"), mmap="r")
    index = HNSWIndex(seed=0).build(mapped, level=12)
    index.save(tmp_path / "ix", vectors_file=tmp_path / "kv.npy")
    assert not (tmp_path / "ix.vectors.npy").exists()
    loaded = BaseIndex.load(tmp_path / "ix", mmap="r")
    assert mapped.most_similar("w9", topn=3, indexer=loaded) == mapped.most_similar("w9", topn=3, indexer=index)
    np.testing.assert_array_equal(loaded._vectors, mapped.vectors)
