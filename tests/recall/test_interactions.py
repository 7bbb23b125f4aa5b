"""Loading logs, sessions and splits (w2vm.recall.interactions)."""
import gzip

import numpy as np
import pytest

from w2vm.recall import Interactions, leave_last_out, load_interactions, random_split, sessionize


def small():
    # user b's rows are given out of time order; user a has a tie at t=20
    return dict(user_id=["a", "a", "a", "b", "b", "a"], item_id=[3, 1, 2, 1, 5, 4],
                timestamp=[10, 20, 20, 7, 5, 30])


def test_arrays_are_coded_and_sorted():
    d = small()
    inter = Interactions(d["user_id"], d["item_id"], d["timestamp"])
    assert inter.user_labels.tolist() == ["a", "b"]
    assert inter.item_labels.tolist() == [1, 2, 3, 4, 5]
    assert inter.offsets.tolist() == [0, 4, 6]
    # b's history is in time order: item 5 (t=5) before item 1 (t=7)
    assert inter.item_labels[inter.items[4:]].tolist() == [5, 1]
    assert inter.timestamps.dtype == np.int64
    assert inter.item_counts().tolist() == [2, 1, 1, 1, 1]


@pytest.mark.parametrize("form", ["dict", "tuple", "tsv", "tsv.gz", "noheader"])
def test_load_forms_agree(form, tmp_path):
    d = small()
    ref = Interactions(d["user_id"], d["item_id"], d["timestamp"])
    if form == "dict":
        inter = load_interactions(d)
    elif form == "tuple":
        inter = load_interactions((d["user_id"], d["item_id"], d["timestamp"]))
    else:
        rows = ["\t".join(map(str, r)) for r in zip(d["user_id"], d["item_id"], d["timestamp"])]
        text = "\n".join(([] if form == "noheader" else ["user_id\titem_id\ttimestamp"]) + rows) + "\n"
        path = tmp_path / ("log." + form.replace("noheader", "tsv"))
        if form.endswith("gz"):
            with gzip.open(path, "wt") as fh:
                fh.write(text)
        else:
            path.write_text(text)
        inter = load_interactions(path)
    np.testing.assert_array_equal(inter.users, ref.users)
    np.testing.assert_array_equal(inter.item_labels[inter.items], ref.item_labels[ref.items])
    np.testing.assert_array_equal(inter.timestamps, ref.timestamps)


def test_tsv_weights_and_min_weight(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("user_id\titem_id\ttimestamp\trating\n1\t10\t5\t4\n1\t11\t6\t2\n2\t10\t1\t5\n")
    inter = load_interactions(path)
    assert inter.weights.tolist() == [4.0, 2.0, 5.0]
    kept = load_interactions(path, min_weight=4)
    assert len(kept) == 2 and kept.item_labels[kept.items].tolist() == [10, 10]


def test_dataframe_if_pandas():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(small())
    inter = load_interactions(df)
    assert len(inter) == 6 and inter.n_users == 2


@pytest.mark.parametrize("bad, exc, words", [
    (dict(user_id=[1, 2], item_id=[1], timestamp=[1, 2]), ValueError, "item_ids has 1"),
    (dict(user_id=[1], item_id=[1], timestamp=["x"]), TypeError, "timestamps"),
    (dict(user_id=[1], item_id=[1], timestamp=[float("nan")]), ValueError, "NaN"),
    (dict(user=[1], item_id=[1]), KeyError, "timestamp"),
    (42, TypeError, "source must be"),
])
def test_bad_input_is_named(bad, exc, words):
    with pytest.raises(exc, match=words):
        load_interactions(bad)


def test_tsv_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_interactions(tmp_path / "missing.tsv")
    p = tmp_path / "ragged.tsv"
    p.write_text("1\t2\t3\n1\t2\n")
    with pytest.raises(ValueError, match="row 2 has 2 fields"):
        load_interactions(p)
    p.write_text("1\t2\tyesterday\n")
    with pytest.raises(ValueError, match="timestamps must be numbers"):
        load_interactions(p)


def test_sessionize_gap_and_min_length():
    inter = Interactions([0, 0, 0, 0, 1], [1, 2, 3, 4, 5], [0, 10, 100, 105, 0])
    one = sessionize(inter)
    assert len(one) == 2 and one.lengths().tolist() == [4, 1]
    split = sessionize(inter, gap=50)
    assert split.lengths().tolist() == [2, 2, 1]
    assert split.owners.tolist() == [0, 0, 1]
    assert [s for s in sessionize(inter, gap=50, min_length=2)] == [["1", "2"], ["3", "4"]]
    with pytest.raises(ValueError, match="gap"):
        sessionize(inter, gap=-1)


def test_leave_last_out_holds_out_the_whole_last_timestamp_group():
    d = small()
    inter = Interactions(d["user_id"], d["item_id"], d["timestamp"])
    train, test = leave_last_out(inter)
    # a: last timestamp 30 (item 4); b: last timestamp 7 (item 1)
    assert sorted(zip(test.users.tolist(), test.item_labels[test.items].tolist())) == [(0, 4), (1, 1)]
    tied = Interactions([0, 0, 0, 1], [1, 2, 3, 4], [1, 5, 5, 9])
    train, test = leave_last_out(tied)
    assert test.item_labels[test.items].tolist() == [2, 3]     # both items of the tie
    # user 1 has one event only: nothing left to learn from, so it stays in training
    assert train.item_labels[train.items].tolist() == [1, 4]
    assert train.item_labels is tied.item_labels or np.array_equal(train.item_labels, tied.item_labels)


def test_leave_last_out_ignores_row_order_within_a_tie(planted):
    train, test = leave_last_out(planted)
    last = np.zeros(planted.n_users, np.int64)
    np.maximum.at(last, planted.users, planted.timestamps)
    assert np.all(test.timestamps == last[test.users])
    assert np.all(train.timestamps < last[train.users])
    assert len(train) + len(test) == len(planted)


def test_random_split(planted):
    train, test = random_split(planted, test_fraction=0.25, seed=3)
    assert len(train) + len(test) == len(planted)
    assert 0.2 < len(test) / len(planted) < 0.3
    again, _ = random_split(planted, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(train.items, again.items)
    with pytest.raises(ValueError, match="test_fraction"):
        random_split(planted, test_fraction=1.5)


def test_sequences_iterate_as_token_lists(planted):
    seqs = sessionize(planted)
    first = next(iter(seqs))
    assert all(isinstance(tok, str) and tok.startswith("it") for tok in first)
    assert sum(1 for _ in seqs) == len(seqs)   # restartable
