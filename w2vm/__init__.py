"""w2vm: word2vec with Matryoshka nested prefixes.

One model whose every prefix ``v[:m]`` (``m`` in ``levels``) is itself a good
embedding, with gensim's API: ``from w2vm import Word2Vec, KeyedVectors``.
"""
__version__ = "0.1.0"

try:
    from w2vm.models import _word2vec_inner  # noqa: F401  (fails early if unbuilt)
except ImportError as exc:
    from w2vm._source_tree import unbuilt_message

    raise ImportError(unbuilt_message(exc)) from exc

from w2vm.utils import set_seed, show_config  # noqa: E402
from w2vm.models.keyedvectors import KeyedVectors  # noqa: E402
from w2vm.models.word2vec import Word2Vec  # noqa: E402

__all__ = ["Word2Vec", "KeyedVectors", "set_seed", "show_config", "__version__"]
