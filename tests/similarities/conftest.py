"""Fixtures for the index tests (the helpers themselves are in ``index_helpers``)."""
import pytest

from index_helpers import clustered


@pytest.fixture(scope="session")
def dataset():
    """3,000 base vectors and 100 held-out queries, d=48, from the same blobs."""
    x = clustered(3100, 48, seed=1)
    return x[:3000], x[3000:]
