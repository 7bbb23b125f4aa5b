"""Build script for w2vm's Cython extensions.

Every ``w2vm/**/_*.pyx`` file becomes an extension module. OpenMP is probed by
compiling *and running* a tiny program; without it the extensions are built
serial with a warning, unless ``W2VM_FAIL_NO_OPENMP=1`` asks for a hard error
(wheel builds set it). ``W2VM_CYTHON_DEBUG=1`` turns bounds and wraparound
checks back on for testing the native code; ``W2VM_SANITIZE=address`` adds
AddressSanitizer (both are what ``.ci/debug`` builds).
"""
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent

OPENMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n);
    return n > 0 ? 0 : 1;
}
"""


def _compiler_flavour():
    cc = sysconfig.get_config_var("CC") or "cc"
    if sys.platform == "win32":
        return "msvc"
    if sys.platform == "darwin" and "clang" in cc:
        return "apple-clang"
    return "gcc"


def openmp_flags():
    """Return (compile_args, link_args) for OpenMP, or None when it does not work."""
    flavour = _compiler_flavour()
    if flavour == "msvc":
        return ["/openmp"], []
    if flavour == "apple-clang":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    for compile_args, link_args in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "probe.c"
            exe = Path(tmp) / "probe"
            src.write_text(OPENMP_PROBE)
            try:
                subprocess.run(cc + compile_args + [str(src), "-o", str(exe)] + link_args,
                               check=True, capture_output=True)
                subprocess.run([str(exe)], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError):
                continue
            return compile_args, link_args
    return None


def build_extensions():
    debug = os.environ.get("W2VM_CYTHON_DEBUG", "") == "1"
    omp = openmp_flags()
    if omp is None:
        message = "OpenMP was not found: w2vm will be built single-threaded."
        if os.environ.get("W2VM_FAIL_NO_OPENMP", "") == "1":
            raise SystemExit("error: " + message + " (W2VM_FAIL_NO_OPENMP=1)")
        print("warning: " + message, file=sys.stderr)
        omp_compile, omp_link = [], []
    else:
        omp_compile, omp_link = omp

    if _compiler_flavour() == "msvc":
        opt = ["/O2"]
    else:
        # -O3 and no -march=native: wheels must run on any CPU of the target arch.
        opt = ["-O3", "-fno-math-errno", "-Wno-unreachable-code"]
        if debug:
            opt = ["-O1", "-g"]
    sanitize = os.environ.get("W2VM_SANITIZE", "")  # e.g. "address": the .ci/debug job's ASan build
    san_compile, san_link = [], []
    if sanitize:
        if _compiler_flavour() == "msvc" or not all(s.isalpha() for s in sanitize.split(",")):
            raise SystemExit(f"error: W2VM_SANITIZE={sanitize!r}: expected e.g. 'address' with gcc/clang")
        san_compile = [f"-fsanitize={sanitize}", "-fno-omit-frame-pointer"]
        san_link = [f"-fsanitize={sanitize}"]

    x86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
              ("W2VM_HAVE_OPENMP", "1" if omp else "0")]
    extensions = []
    only = os.environ.get("W2VM_BUILD_ONLY", "")  # e.g. "w2vm/similarities": faster dev rebuilds
    for pyx in sorted(HERE.glob("w2vm/**/_*.pyx")):
        if only and not str(pyx.relative_to(HERE)).startswith(only):
            continue
        rel = pyx.relative_to(HERE)
        name = ".".join(rel.with_suffix("").parts)
        isa = []
        if name.endswith("_avx2"):
            # the same source built for AVX2 + FMA; chosen at run time only on CPUs that have them
            if not x86:
                continue
            isa = ["/arch:AVX2"] if _compiler_flavour() == "msvc" else ["-mavx2", "-mfma"]
        extensions.append(Extension(
            name, [str(rel)],
            include_dirs=[np.get_include(), str(pyx.parent)],
            define_macros=macros,
            extra_compile_args=opt + omp_compile + isa + san_compile,
            extra_link_args=omp_link + san_link,
            depends=[str(p) for p in pyx.parent.glob("*.pxi")] + [str(p) for p in pyx.parent.glob("*.h")],
        ))
    directives = {
        "language_level": 3,
        "boundscheck": debug,
        "wraparound": debug,
        "initializedcheck": debug,
        "cdivision": True,
        "embedsignature": True,
    }
    write_build_info(omp is not None, debug)
    return cythonize(extensions, compiler_directives=directives,
                     build_dir="build/cython" if not debug else "build/cython-debug")


def write_build_info(openmp, debug):
    """Record how the extensions were built, for ``w2vm.show_config()``."""
    (HERE / "w2vm" / "_build_info.py").write_text(
        "# Written by setup.py at build time; not under version control.\n"
        f"OPENMP = {openmp!r}\n"
        f"CYTHON_DEBUG = {debug!r}\n"
    )


class ParallelBuildExt(build_ext):
    """Compile the extensions side by side, one job per core (the two kernel builds take most of the time).

    ``build_ext --parallel N`` (or ``-j N``) still overrides it; ``W2VM_BUILD_JOBS=1`` makes the build serial.
    """

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            jobs = os.environ.get("W2VM_BUILD_JOBS", "")
            self.parallel = int(jobs) if jobs.isdigit() and int(jobs) > 0 else (os.cpu_count() or 1)


setup(ext_modules=build_extensions(), cmdclass={"build_ext": ParallelBuildExt})
