"""Approximate nearest-neighbour indexes over w2vm (or any float32) vectors.

Every index follows :class:`BaseIndex`: ``build``, ``add``, ``remove``,
``search``, ``save``/``load``, ``len``, ``in`` and ``most_similar`` (so it
plugs into ``KeyedVectors.most_similar(..., indexer=index)``), and supports
Matryoshka funnel search (walk a short prefix, re-rank on the full vector).
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
