"""Approximate nearest-neighbour indexes over w2vm (or any float32) vectors.

Every index follows :class:`BaseIndex`: ``build``, ``add``, ``remove``,
``search``, ``save``/``load``, ``len``, ``in`` and ``most_similar`` (so it
plugs into ``KeyedVectors.most_similar(..., indexer=index)``), and supports
Matryoshka funnel search (walk a short prefix, re-rank on the full vector).

Example
-------
>>> index = HNSWIndex(M=16, ef_construction=200).build(kv, level=25)  # walk 25 dims
>>> ids, scores = index.search(queries, k=10, ef=64)      # re-ranked on all dims
>>> kv.most_similar("king", topn=10, indexer=index)       # gensim-style indexer
>>> index.save("words.hnsw", vectors_file="words.npy")   # reference, not copy
>>> index = HNSWIndex.load("words.hnsw", mmap="r")
>>> suggest_params(index, target_recall=0.95)["params"]   # cheapest ef / shortlist

Native code (``_hnsw``, ``_ivf``, ``_lsh``, ``_common``) shares one set of
distance kernels (``_distances.h``: SIMD through compiler vector extensions,
AVX2+FMA picked at run time on x86-64) and never validates: the Python
classes check ids, shapes, dtypes, ``k``, ``ef`` and loaded files first.
"""
from w2vm.similarities.base import BaseIndex
from w2vm.similarities.brute import BruteForceIndex
from w2vm.similarities.hnsw import HNSWIndex
from w2vm.similarities.ivf import IVFFlatIndex
from w2vm.similarities.lsh import LSHIndex
from w2vm.similarities.tuning import measure_recall, suggest_params

INDEX_CLASSES = {cls.kind: cls for cls in (BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex)}

__all__ = ["BaseIndex", "BruteForceIndex", "HNSWIndex", "IVFFlatIndex", "LSHIndex",
           "measure_recall", "suggest_params", "INDEX_CLASSES"]
