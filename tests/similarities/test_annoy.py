"""gensim's AnnoyIndexer over w2vm vectors (skipped without the annoy package)."""
import numpy as np
import pytest

pytest.importorskip("annoy")

from w2vm import KeyedVectors  # noqa: E402
from w2vm.similarities.annoy import AnnoyIndexer  # noqa: E402


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(1)
    out = KeyedVectors(16, levels=[8, 16])
    out.add_vectors([f"k{i}" for i in range(300)], rng.normal(size=(300, 16)).astype(np.float32))
    return out


def test_annoy_indexer_answers_most_similar_like_the_exact_search(kv, tmp_path):
    indexer = AnnoyIndexer(kv, num_trees=20)
    approx = kv.most_similar("k5", topn=5, indexer=indexer)
    exact = kv.most_similar("k5", topn=5)
    assert approx[0] == ("k5", pytest.approx(1.0, abs=1e-5))  # gensim's indexers return the query too
    assert len({k for k, _ in approx[1:]} & {k for k, _ in exact}) >= 3
    for key, score in approx[1:]:
        assert score == pytest.approx(kv.similarity("k5", key), abs=1e-4)
    indices, scores = indexer.search(kv.get_normed_vectors()[:3], k=4)
    assert indices.shape == (3, 4) and list(indices[:, 0]) == [0, 1, 2]
    indexer.save(str(tmp_path / "index.ann"))
    loaded = AnnoyIndexer().load(str(tmp_path / "index.ann"))
    assert loaded.most_similar(kv["k5"], 5) == indexer.most_similar(kv["k5"], 5)
    assert not (tmp_path / "index.ann.dict").exists()  # keys in JSON, no pickle


def test_annoy_indexer_on_a_prefix_and_its_errors(kv, tmp_path):
    indexer = AnnoyIndexer(kv, num_trees=10, level=8)
    assert kv.most_similar("k1", topn=3, indexer=indexer, level=8)[0][0] == "k1"
    assert indexer.most_similar(kv["k1"], 2)[0][0] == "k1"  # a full vector is cut to the prefix
    with pytest.raises(ValueError, match="only a model with .wv or a KeyedVectors"):
        AnnoyIndexer(object(), num_trees=2)
    with pytest.raises(ValueError, match="empty"):
        AnnoyIndexer().most_similar(kv["k1"], 2)
    with pytest.raises(FileNotFoundError):
        AnnoyIndexer().load(str(tmp_path / "missing"))
