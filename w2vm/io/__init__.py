"""File formats: the ``.vocab.json`` + ``.npy`` base files and the word2vec C formats."""
