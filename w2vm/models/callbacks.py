"""Training callbacks, duck-type compatible with gensim's ``CallbackAny2Vec``."""


class CallbackAny2Vec:
    """Base class for training callbacks; override the hooks you need.

    Each hook receives the model. ``Word2Vec.train`` calls ``on_train_begin``,
    then per epoch ``on_epoch_begin`` and ``on_epoch_end``, then ``on_train_end``.
    gensim callback objects work unchanged.
    """

    def on_epoch_begin(self, model):
        pass

    def on_epoch_end(self, model):
        pass

    def on_train_begin(self, model):
        pass

    def on_train_end(self, model):
        pass
