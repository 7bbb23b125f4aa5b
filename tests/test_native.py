"""Run-time choice between the baseline and the AVX2 + FMA builds of the kernels."""
import os
import subprocess
import sys

import numpy as np
import pytest

from w2vm.models import _native

PROBE = ("from w2vm.models import _native; from w2vm import Word2Vec; "
         "m = Word2Vec([['a', 'b', 'c', 'd']] * 200, vector_size=16, min_count=1, workers=1, seed=1); "
         "import sys; sys.stdout.write(_native.name + ' ' + repr(float(abs(m.wv.vectors).sum())))")


def run_with(kernels):
    env = dict(os.environ, W2VM_KERNELS=kernels)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)


def test_baseline_can_be_forced_and_trains():
    result = run_with("baseline")
    assert result.returncode == 0, result.stderr
    name, total = result.stdout.split()
    assert name == "baseline" and np.isfinite(float(total)) and float(total) > 0


@pytest.mark.skipif(_native.avx2 is None or not _native.baseline.cpu_has_avx2_fma(),
                    reason="no AVX2 + FMA build or CPU")
def test_avx2_build_trains_like_the_baseline():
    base = run_with("baseline")
    fast = run_with("avx2")
    assert fast.returncode == 0, fast.stderr
    assert fast.stdout.split()[0] == "avx2+fma"
    # FMA rounds differently, so close but not bit-identical
    assert float(fast.stdout.split()[1]) == pytest.approx(float(base.stdout.split()[1]), rel=0.05)


def test_unknown_choice_is_refused():
    result = run_with("sse9")
    assert result.returncode != 0 and "W2VM_KERNELS" in result.stderr
