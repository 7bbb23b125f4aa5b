"""Fixtures shared by the test modules; the helpers themselves are in ``corpus_helpers``."""
import pytest

from corpus_helpers import make_topic_corpus


@pytest.fixture(scope="session")
def topic_corpus():
    return make_topic_corpus()
