"""Matryoshka levels: the prefix sizes ``m`` at which ``v[:m]`` is trained to be useful."""
import numbers

from w2vm.utils import ParameterTypeError


def default_levels(vector_size):
    """``[d // 4, d // 2, d]`` without zeros or duplicates (word2vec-matryoshka's default)."""
    levels = []
    for m in (vector_size // 4, vector_size // 2, vector_size):
        if m > 0 and m not in levels:
            levels.append(m)
    return levels


def validate_levels(levels, vector_size):
    """Return ``levels`` as a list of ints, or raise ``ValueError``/``TypeError``.

    ``None`` gives :func:`default_levels`. Otherwise the levels must be
    strictly increasing positive integers whose last one is ``vector_size``.
    """
    if levels is None:
        return default_levels(vector_size)
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__"):
        raise TypeError(f"levels must be a list of ints, not {type(levels).__name__}")
    out = []
    for m in levels:
        if isinstance(m, bool) or not isinstance(m, numbers.Integral):
            raise TypeError(f"levels must contain ints, got {m!r} ({type(m).__name__})")
        out.append(int(m))
    if not out:
        raise ValueError("levels must not be empty")
    if out[0] <= 0:
        raise ValueError(f"levels must be positive, got {out}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"levels must be strictly increasing, got {out}")
    if out[-1] != vector_size:
        raise ValueError(f"the last level must equal vector_size={vector_size}, got levels={out}")
    return out


def validate_level_weights(level_weights, levels):
    """Per-level loss weights; ``None`` means 1 for every level (summed, not averaged)."""
    if level_weights is None:
        return [1.0] * len(levels)
    if isinstance(level_weights, (str, bytes)):
        raise TypeError(f"level_weights must be a list of numbers, not a string: {level_weights!r}")
    try:
        weights = [float(w) for w in level_weights]
    except (TypeError, ValueError):
        raise TypeError(f"level_weights must be a list of numbers, got {level_weights!r}") from None
    if len(weights) != len(levels):
        raise ValueError(f"level_weights has {len(weights)} entries but there are {len(levels)} levels")
    if any(not (w >= 0.0) or w == float("inf") for w in weights):
        raise ValueError(f"level_weights must be finite and non-negative, got {weights}")
    if not any(w > 0 for w in weights):
        raise ValueError("at least one level weight must be positive")
    return weights


def check_query_level(level, vector_size):
    """Validate a query-time ``level``: ``None`` → ``vector_size``; any int in ``[1, vector_size]``."""
    if level is None:
        return vector_size
    if isinstance(level, bool) or not isinstance(level, numbers.Integral):
        raise ParameterTypeError(f"level must be an int in [1, {vector_size}] or None, got {level!r}")
    level = int(level)
    if not 1 <= level <= vector_size:
        raise ValueError(f"level must be in [1, {vector_size}], got {level}")
    return level
