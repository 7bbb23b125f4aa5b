"""Models, as in gensim: ``w2vm.models.word2vec``, ``w2vm.models.keyedvectors``, ``w2vm.models.callbacks``.

``from w2vm.models import Word2Vec, KeyedVectors`` works as gensim's
``from gensim.models import Word2Vec, KeyedVectors`` does.
"""
from w2vm.models.callbacks import CallbackAny2Vec  # noqa: F401
from w2vm.models.keyedvectors import KeyedVectors  # noqa: F401
from w2vm.models.word2vec import Word2Vec  # noqa: F401

__all__ = ["Word2Vec", "KeyedVectors", "CallbackAny2Vec"]
