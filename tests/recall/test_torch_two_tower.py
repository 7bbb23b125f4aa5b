"""The PyTorch two-tower option. Skipped without torch; marked ``torch`` so CI can run it as its own step."""
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from w2vm.recall import ItemRecall, evaluate, item_vectors, leave_last_out, popularity_recommend, train_item2vec
from w2vm.recall.torch_two_tower import TwoTower, train_two_tower

pytestmark = pytest.mark.torch


def test_recall_does_not_import_torch_by_itself():
    import subprocess
    code = "import sys, w2vm.recall, w2vm.recall.pipeline; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def fitted(planted):
    train, test = leave_last_out(planted)
    model = train_item2vec(train, vector_size=16, levels=[4, 8, 16], epochs=5, workers=1, seed=3)
    V, _ = item_vectors(model.wv, train.item_labels)
    return train, test, V


def test_starts_as_item2vec(fitted):
    train, _, V = fitted
    tt = TwoTower(V, levels=[4, 8, 16], hist_len=5)
    np.testing.assert_array_equal(tt.item_tower.weight.detach().numpy(), V)
    kv, U = tt.export(train)
    assert kv.levels == [4, 8, 16] and len(kv) == int((train.item_counts() > 0).sum())
    # at step 0 the user tower is the plain mean of the last 5 item vectors
    u = 7
    last = train.items[train.offsets[u + 1] - 5:train.offsets[u + 1]]
    np.testing.assert_allclose(U[u], V[last].mean(0), rtol=1e-5, atol=1e-6)


def test_trains_exports_and_recalls(fitted):
    train, test, V = fitted
    tt = train_two_tower(train, V, levels=[4, 8, 16], epochs=2, batch_size=128, seed=0)
    kv, U = tt.export(train)
    Vt, known = item_vectors(kv, train.item_labels)
    users = np.flatnonzero(test.counts_per_user() > 0)
    items, _ = ItemRecall(Vt).recommend(U, k=10, exclude=train, users=users)
    pop, _ = popularity_recommend(train, k=10, users=users)
    assert evaluate(items, test, users=users, ks=(10,))["recall@10"] > \
        1.5 * evaluate(pop, test, users=users, ks=(10,))["recall@10"]
    assert torch.get_num_threads() >= 1


def test_bad_parameters(fitted):
    train, _, V = fitted
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        train_two_tower(train, V, batch_size=1)
    with pytest.raises(ValueError, match="levels must increase"):
        TwoTower(V, levels=[8, 4])
    with pytest.raises(TypeError, match="Interactions"):
        train_two_tower("log", V)


def test_pipeline_two_tower_row(planted):
    from w2vm.recall.pipeline import run_pipeline

    out = run_pipeline(planted, ks=(10,), item2vec=dict(vector_size=8, epochs=3), baselines=(),
                       eval_levels=[8], two_tower={"epochs": 1, "batch_size": 128}, workers=1)
    assert set(out["results"]) == {"item2vec d=8 exact", "two-tower d=8 exact"}
    assert out["results"]["two-tower d=8 exact"]["two_tower_train_s"] > 0
