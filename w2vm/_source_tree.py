"""Why ``import w2vm`` found no compiled extensions, in words a user can act on.

The usual cause is not a broken install but the current folder: ``python -m``
(and ``python -c``) put it first on ``sys.path``, so from the root of a source
checkout ``import w2vm`` finds the unbuilt ``w2vm/`` folder there, even after
``pip install .`` installed a built copy elsewhere. numpy and scikit-learn
refuse to import from their source folders for the same reason; so does w2vm,
but it says which copy is installed and what to run instead.
"""
import importlib.machinery
import os
import sys


def _installed_copy(package_dir):
    """Another ``w2vm`` on ``sys.path`` (an installed build), or ``None``."""
    parent = os.path.dirname(package_dir)
    others = [p for p in sys.path if p and os.path.abspath(p) != parent]
    spec = importlib.machinery.PathFinder.find_spec("w2vm", others)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def unbuilt_message(exc):
    """The text of the ImportError raised when the compiled extensions cannot be imported."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(package_dir)
    in_checkout = os.path.exists(os.path.join(checkout, "setup.py"))
    if in_checkout:
        installed = _installed_copy(package_dir)
        where = (f"w2vm was imported from its source folder {package_dir}, which has no compiled extensions "
                 f"({exc}): ")
        if installed:
            return (where + f"a built w2vm is installed at {installed}, but Python looks in the current folder "
                    f"first. Run the installed command instead (`w2vm demo`, not `python -m w2vm demo`), run "
                    f"Python from another folder, or build this checkout in place with `pip install -e .`.")
        return (where + "build it with `pip install -e .` (in place, for development) or `pip install .` and "
                "then run from another folder; a C compiler, Cython>=3 and numpy are needed.")
    return ("w2vm's compiled extensions are missing or were built for another Python "
            f"({exc}). Reinstall with `pip install --force-reinstall w2vm` (or `pip install .` from a "
            "checkout); building from source needs a C compiler, Cython>=3 and numpy.")
