"""Exceptions of the models part that gensim code already catches under another name."""


class ModelStateError(RuntimeError, ValueError):
    """The model is not in a state that allows the call: no vocabulary, no output layer, ...

    A ``RuntimeError``, which is what gensim raises in these cases, and a
    ``ValueError``, which is what w2vm raised before: code written for either
    keeps catching it.
    """
