"""Models, as in gensim: ``w2vm.models.word2vec``, ``w2vm.models.keyedvectors``, ``w2vm.models.callbacks``."""
