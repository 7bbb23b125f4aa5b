"""Word Mover's Distance (Kusner et al., 2015) as an exact transport problem solved by scipy.

gensim solves it with the POT package (``ot.emd2``); the optimum is the same
number, and scipy is already a dependency. A document is its normalised
bag of words; moving a unit of mass from word ``a`` to word ``b`` costs the
Euclidean distance of their vectors. Documents have tens of distinct words,
so the linear program (one variable per word pair) is small.
"""
from collections import Counter

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack
from scipy.spatial.distance import cdist


def _bag(document):
    counts = Counter(document)
    words = list(counts)
    weights = np.array([counts[w] for w in words], dtype=np.float64) / len(document)
    return words, weights


def word_movers_distance(document1, document2, vectors):
    """The minimal cost of moving ``document1``'s bag of words onto ``document2``'s.

    ``vectors(words)`` returns the ``(len(words), d)`` vectors of a list of
    known words. Both documents are non-empty lists of known words.
    """
    words1, supply = _bag(document1)
    words2, demand = _bag(document2)
    if len(set(words1) | set(words2)) == 1:
        return 0.0  # the same single word on both sides
    cost = cdist(vectors(words1), vectors(words2))
    n1, n2 = cost.shape
    # flow[i, j] >= 0 with row sums = supply and column sums = demand
    rows = np.repeat(np.arange(n1), n2)
    cols = np.tile(np.arange(n2), n1)
    a_rows = coo_matrix((np.ones(n1 * n2), (rows, np.arange(n1 * n2))), shape=(n1, n1 * n2))
    a_cols = coo_matrix((np.ones(n1 * n2), (cols, np.arange(n1 * n2))), shape=(n2, n1 * n2))
    result = linprog(cost.ravel(), A_eq=vstack([a_rows, a_cols]).tocsr(),
                     b_eq=np.concatenate([supply, demand]), bounds=(0, None), method="highs")
    if not result.success:  # pragma: no cover - a balanced transport problem always has a solution
        raise RuntimeError(f"the transport problem could not be solved: {result.message}")
    return float(max(result.fun, 0.0))
