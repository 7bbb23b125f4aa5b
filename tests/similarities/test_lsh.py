import numpy as np
import pytest

from w2vm.similarities import LSHIndex
from w2vm.similarities.tuning import exact_neighbors, recall_at_k


def test_more_probes_more_recall(dataset):
    base, queries = dataset
    index = LSHIndex(n_bits=12, n_tables=4, seed=0).build(base)
    ref = exact_neighbors(index, queries, 10)
    r = [recall_at_k(index.search(queries, 10, n_probe=p)[0], ref) for p in (1, 4, 16, 79)]
    assert r == sorted(r) and r[-1] > r[0]


def test_signatures_are_sorted_buckets(dataset):
    base, _ = dataset
    index = LSHIndex(n_bits=10, n_tables=3, seed=0).build(base)
    assert index._keys_sorted.shape == (3, 3000)
    assert np.all(np.diff(index._keys_sorted.astype(np.float64), axis=1) >= 0)
    assert index._keys_sorted.max() < 2 ** 10


def test_64_bits_works(dataset):
    base, queries = dataset
    index = LSHIndex(n_bits=64, n_tables=2, seed=0).build(base)
    ids, _ = index.search(base[:5], 1, n_probe=79)
    assert ids[:, 0].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("kw", [dict(n_bits=0), dict(n_bits=65), dict(n_tables=0), dict(n_probe=0)])
def test_bad_parameters(kw):
    with pytest.raises(ValueError):
        LSHIndex(**kw)
