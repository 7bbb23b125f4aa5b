"""Helpers that gensim's documentation examples import from ``gensim.test``."""
