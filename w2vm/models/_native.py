"""The compiled kernels this CPU runs best, chosen once at import.

x86-64 builds ship a baseline module and an AVX2 + FMA module compiled from the
same source; the second is used only when the CPU reports both features, so a
wheel runs on any CPU of its architecture. ``W2VM_KERNELS=baseline`` (or
``avx2``) overrides the choice, for benchmarks and tests.
"""
import os

from w2vm.models import _word2vec_inner as baseline

try:
    from w2vm.models import _word2vec_inner_avx2 as avx2
except ImportError:  # not an x86-64 build
    avx2 = None


def _choose():
    wanted = os.environ.get("W2VM_KERNELS", "").strip().lower()
    if wanted not in ("", "baseline", "avx2"):
        raise ImportError(f"W2VM_KERNELS must be 'baseline' or 'avx2', not {wanted!r}")
    if wanted == "baseline":
        return baseline, "baseline"
    usable = avx2 is not None and baseline.cpu_has_avx2_fma()
    if wanted == "avx2" and not usable:
        raise ImportError("W2VM_KERNELS=avx2, but this build or CPU has no AVX2 + FMA kernels")
    return (avx2, "avx2+fma") if usable else (baseline, "baseline")


native, name = _choose()
