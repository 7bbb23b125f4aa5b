"""Fixtures for the recall tests: a synthetic log with planted structure, and MovieLens-100k if present.

MovieLens-100k is read from ``../shared/data/recsys`` next to the repository
and never copied: its licence does not allow redistribution. Tests that need
it skip when it is absent.
"""
import os

import numpy as np
import pytest

from recall_helpers import planted_log

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ML100K = os.path.join(_REPO, "..", "shared", "data", "recsys", "ml-100k.ratings.tsv.gz")


@pytest.fixture(scope="session")
def planted():
    from w2vm.recall import Interactions
    u, i, t = planted_log()
    # item ids as strings with a prefix: labels need not be ints
    return Interactions(u, np.char.add("it", i.astype(str)), t)


@pytest.fixture(scope="session")
def ml100k_path():
    if not os.path.exists(ML100K):
        pytest.skip("MovieLens-100k not found in ../shared/data/recsys (not shipped: research-only licence)")
    return ML100K
