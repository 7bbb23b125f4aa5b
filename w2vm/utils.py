"""Small shared helpers: the global seed, trim-rule constants, ``show_config``."""
import numbers
import platform
import sys

# gensim's trim_rule return values
RULE_DEFAULT = 0
RULE_DISCARD = 1
RULE_KEEP = 2

_DEFAULT_SEED = 1
_global_seed = _DEFAULT_SEED


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type (e.g. ``k=2.5``, ``level="4"``).

    A ``TypeError``, as numpy, hnswlib and faiss raise for these, and also a
    ``ValueError``, which is what w2vm's index knobs and ``level`` raised
    before: code catching either keeps working.
    """


def set_seed(seed):
    """Set the seed used by models created afterwards without an explicit ``seed=``.

    With ``workers=1`` two runs from the same seed give bit-identical vectors.
    """
    global _global_seed
    _global_seed = check_seed(seed)


def get_seed():
    """The seed set by :func:`set_seed` (1, gensim's default, until it is called)."""
    return _global_seed


def check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return seed


def show_config(file=None):
    """Print versions, the BLAS in use, and whether OpenMP is on; return them as a dict."""
    import numpy
    import scipy

    from w2vm import __version__
    from w2vm.models import _native

    try:
        from w2vm import _build_info
        cython_debug = _build_info.CYTHON_DEBUG
    except ImportError:  # an in-place build from an older setup.py
        cython_debug = None
    blas = "unknown"
    try:
        numpy_config = numpy.show_config(mode="dicts")
        blas_info = numpy_config["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name')} {blas_info.get('version', '')}".strip()
    except Exception:  # show_config(mode=...) needs numpy >= 1.25
        pass
    config = {
        "w2vm": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "blas (numpy/scipy)": blas,
        "training kernels": _native.name + (" (intrinsics; picked at run time)" if _native.name != "baseline"
                                            else " (compiler-vectorised loops)"),
        "openmp": _native.native.openmp_enabled(),
        "cython_debug_build": cython_debug,
    }
    out = file if file is not None else sys.stdout
    for key, value in config.items():
        print(f"{key:>20}: {value}", file=out)
    return config
