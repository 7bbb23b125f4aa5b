"""The wheel and the sdist install into fresh virtual environments and work.

Slow (two builds, two venvs): marked ``packaging`` and run by ``.ci/run`` as
its own step.
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.packaging

SMOKE = (
    "import w2vm, numpy as np; from w2vm import Word2Vec, KeyedVectors, set_seed;"
    "cfg = w2vm.show_config();"
    "m = Word2Vec([['a', 'b', 'c']] * 20, vector_size=8, min_count=1, workers=2);"
    "assert m.wv.vectors.shape == (3, 8);"
    "import importlib.resources as r; assert (r.files('w2vm') / 'data' / 'demo-corpus.txt.gz').is_file();"
    "print('ok', cfg['openmp'])"
)


def run(*cmd, cwd=None):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def fresh_venv(path):
    run(sys.executable, "-m", "venv", str(path))
    return path / ("Scripts" if sys.platform == "win32" else "bin") / "python"


def check_install(tmp_path, artifact):
    python = fresh_venv(tmp_path / "venv")
    run(str(python), "-m", "pip", "install", "-q", str(artifact))
    # run from an empty folder so the checkout is not imported by accident
    out = run(str(python), "-c", SMOKE, cwd=tmp_path)
    assert out.strip().splitlines()[-1].startswith("ok True"), out  # built with OpenMP


def test_wheel_installs_into_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT))
    wheels = list(dist.glob("w2vm-*.whl"))
    assert len(wheels) == 1
    check_install(tmp_path, wheels[0])


def test_sdist_installs_into_a_fresh_venv(tmp_path):
    builder = fresh_venv(tmp_path / "build-venv")
    run(str(builder), "-m", "pip", "install", "-q", "build")
    dist = tmp_path / "dist"
    run(str(builder), "-m", "build", "--sdist", "-o", str(dist), str(ROOT))
    sdists = list(dist.glob("w2vm-*.tar.gz"))
    assert len(sdists) == 1
    check_install(tmp_path, sdists[0])
