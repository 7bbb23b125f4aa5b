"""Vector recall: from raw interaction logs to evaluated top-K candidate lists.

A recommender first *recalls* a few hundred candidates per user from a large
catalogue, then ranks them. This package covers the recall stage:

- :mod:`~w2vm.recall.interactions`: load ``(user, item, timestamp[, weight])``
  logs (arrays, a pandas DataFrame, a TSV), sessions, temporal leave-last-out
  and random splits;
- :mod:`~w2vm.recall.item2vec`: :class:`w2vm.Word2Vec` on item sequences with
  recommendation defaults and Matryoshka levels;
- :mod:`~w2vm.recall.users`: user vectors (mean, recency-weighted, last-N) in batch;
- :mod:`~w2vm.recall.retrieval`: :class:`ItemRecall`, top-K unseen items per
  user through a :mod:`w2vm.similarities` index, with filters and a rerank hook;
- :mod:`~w2vm.recall.metrics` and :mod:`~w2vm.recall.baselines`: recall@K,
  hit@K, NDCG@K, MRR, coverage; popularity and random baselines;
- :mod:`~w2vm.recall.pipeline`: all of it in one call (``python -m w2vm recall``);
- ``w2vm.recall.torch_two_tower`` (needs ``w2vm[torch]``; imported only when used).

Example
-------
>>> from w2vm import recall
>>> log = recall.load_interactions("ratings.tsv.gz")                      # doctest: +SKIP
>>> train, test = recall.leave_last_out(log)                              # doctest: +SKIP
>>> model = recall.train_item2vec(train, vector_size=64, levels=[16, 32, 64])  # doctest: +SKIP
>>> V, _ = recall.item_vectors(model.wv, train.item_labels)              # doctest: +SKIP
>>> U = recall.user_vectors(train, V, method="last", last_n=20)           # doctest: +SKIP
>>> items, _ = recall.ItemRecall(V).recommend(U, k=100, exclude=train)    # doctest: +SKIP
>>> recall.evaluate(items, test, ks=(10, 50, 100))                        # doctest: +SKIP
"""
from w2vm.recall.baselines import popularity_recommend, random_recommend
from w2vm.recall.interactions import (Interactions, Sequences, leave_last_out, load_interactions,
                                      random_split, read_tsv, sessionize)
from w2vm.recall.item2vec import ITEM2VEC_DEFAULTS, item_vectors, train_item2vec
from w2vm.recall.metrics import DEFAULT_KS, evaluate, format_table
from w2vm.recall.retrieval import ItemRecall, make_index
from w2vm.recall.users import USER_METHODS, user_vectors

__all__ = [
    "Interactions", "Sequences", "load_interactions", "read_tsv", "sessionize", "leave_last_out",
    "random_split", "ITEM2VEC_DEFAULTS", "train_item2vec", "item_vectors", "USER_METHODS",
    "user_vectors", "ItemRecall", "make_index", "DEFAULT_KS", "evaluate", "format_table",
    "popularity_recommend", "random_recommend",
]
