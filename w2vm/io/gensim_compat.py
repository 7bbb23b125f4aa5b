"""Moved to :mod:`w2vm.models.gensim_compat` (converting models is not a file format).

This old path keeps working; its names are looked up there on first use, so
that importing the formats part does not import the models part.
"""


def __getattr__(name):
    from w2vm.models import gensim_compat
    try:
        return getattr(gensim_compat, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
