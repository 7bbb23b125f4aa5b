"""``w2vm eval / query / convert / index / demo`` end to end, and the help texts."""
import csv
import io
import json
import re
import sys

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, run_cli
from w2vm import KeyedVectors
from w2vm.cli import build_parser, normalize_argv

COMMANDS = ["train", "eval", "query", "convert", "index", "index build", "index query", "demo", "info"]


# --------------------------------------------------------------------------- help
def test_top_level_help_lists_every_command():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for name in ("train", "eval", "query", "convert", "index", "demo", "info"):
        assert f"    {name} " in proc.stdout
    assert "examples:" in proc.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help(command):
    parser = build_parser()
    # in-process: argparse prints the same text as the subprocess, without its start-up cost
    with pytest.raises(SystemExit) as exc, _capture() as out:
        parser.parse_args(command.split() + ["--help"])
    assert exc.value.code == 0
    text = out.getvalue()
    assert text.startswith(f"usage: w2vm {command}")
    if command not in ("info",):
        assert "example" in text


class _capture:
    def __enter__(self):
        import contextlib
        self.buf = io.StringIO()
        self._cm = contextlib.redirect_stdout(self.buf)
        self._cm.__enter__()
        return self.buf

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_no_command_prints_help_and_fails():
    proc = run_cli()
    assert proc.returncode == 2 and "usage: w2vm" in proc.stderr


def test_gensim_underscore_names_are_accepted():
    assert normalize_argv(["train", "c_1.txt", "--vector_size", "8", "--min_count=2", "--", "--x_y"]) == \
        ["train", "c_1.txt", "--vector-size", "8", "--min-count=2", "--", "--x_y"]


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("w2vm ")


# --------------------------------------------------------------------------- eval
def test_eval_text_json_csv_and_plot(tmp_path, model_base, eval_files):
    analogies, pairs = eval_files
    text = run_cli("eval", model_base, "--analogies", analogies, "--pairs", pairs)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "analogies acc" in lines[0] and "pairs spearman" in lines[0]
    assert [line.split("|")[0].strip() for line in lines[2:]] == ["4", "8", "16"]
    assert "evaluated 3 levels in" in text.stderr  # progress and timing go to stderr, the table to stdout

    js = run_cli("eval", model_base, "--analogies", analogies, "--pairs", pairs, "--json", "--levels", "2,16")
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert [r["level"] for r in doc["rows"]] == [2, 16]
    for row in doc["rows"]:
        assert 0.0 <= row["analogies_accuracy"] <= 1.0
        assert -1.0 <= row["pairs_spearman"] <= 1.0

    cs = run_cli("eval", model_base, "--pairs", pairs, "--csv")
    assert cs.returncode == 0, cs.stderr
    rows = list(csv.DictReader(io.StringIO(cs.stdout)))
    assert [int(r["level"]) for r in rows] == [4, 8, 16]
    assert float(rows[-1]["pairs_spearman"]) == pytest.approx(doc["rows"][-1]["pairs_spearman"], abs=1e-9)

    plot = tmp_path / "levels.png"
    drawn = run_cli("eval", model_base, "--pairs", pairs, "--plot", plot)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        # without the optional extra: a one-line error that says what to install
        assert drawn.returncode != 0 and "matplotlib" in drawn.stderr
    else:
        assert drawn.returncode == 0, drawn.stderr
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_plot_checks_matplotlib_before_any_work(tmp_path, eval_files, monkeypatch, capsys):
    from w2vm.cli import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    # the model does not even exist: the missing extra is reported first, before loading or scoring
    assert main(["eval", str(tmp_path / "no-model"), "--pairs", eval_files[1], "--plot", str(tmp_path / "p.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("w2vm eval: error: --plot needs matplotlib") and "pip install 'w2vm[plot]'" in err


@pytest.mark.parametrize("args, code, text", [
    ([], 2, "--analogies"),
    (["--pairs", "missing.tsv"], 1, "no such file"),
    (["--pairs", "{pairs}", "--levels", "99"], 2, "outside"),
])
def test_eval_bad_input(model_base, eval_files, args, code, text):
    args = [a.format(pairs=eval_files[1]) for a in args]
    assert_one_line_error(run_cli("eval", model_base, *args), code, "eval", text)


def test_eval_missing_model(tmp_path, eval_files):
    assert_one_line_error(run_cli("eval", tmp_path / "nope", "--pairs", eval_files[1]), 1, "eval", "no such")


# --------------------------------------------------------------------------- query
def test_query_one_shot_matches_python(model_base):
    proc = run_cli("query", model_base, "king", "--level", "8", "--topn", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    expected = KeyedVectors.load(model_base).most_similar("king", topn=3, level=8)
    assert [w for w, _ in got["results"]] == [w for w, _ in expected]
    assert np.allclose([s for _, s in got["results"]], [s for _, s in expected], atol=1e-6)

    text = run_cli("query", model_base, "--positive", "king", "woman", "--negative", "man", "--topn", "2")
    assert text.returncode == 0 and text.stdout.startswith("king woman -man (level full):")
    assert len(text.stdout.splitlines()) == 3


def test_query_unknown_word(model_base):
    assert_one_line_error(run_cli("query", model_base, "qqzzxx", "King"), 1, "query",
                          "not in the vocabulary: 'qqzzxx', 'King' (did you mean 'king'")


def test_unknown_keys_get_suggestions():
    from w2vm.cli.query import not_in_vocabulary, suggestions

    kv = KeyedVectors(4)
    keys = ["king", "queen", "KING", "kingdom", "whale", "ship", "sing"]
    kv.add_vectors(keys, np.eye(len(keys), 4, dtype=np.float32))
    assert suggestions(kv, "King") == ["king", "KING"]       # same word, another case: first
    assert suggestions(kv, "kign")[0] == "king"              # then the nearest spelling
    assert suggestions(kv, "qqzzxx") == []
    assert not_in_vocabulary(kv, ["King", "qqzzxx"]) == \
        "not in the vocabulary: 'King' (did you mean 'king' or 'KING'?), 'qqzzxx'"


def test_query_interactive_from_stdin(model_base):
    stdin = "whale\n\n:level 4\nking -man woman\nqqzzxx\n:topn 1\nship\n"
    proc = run_cli("query", model_base, "--topn", "2", "--json", input=stdin)
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a.get("level") for a in answers] == [None, 4, None, 4]
    assert answers[1]["negative"] == ["man"] and answers[2]["error"].startswith("not in the vocabulary")
    assert len(answers[3]["results"]) == 1
    assert proc.returncode == 1  # one query failed: a batch job should know


# --------------------------------------------------------------------------- convert
def test_convert_round_trips_and_truncates(tmp_path, model_base):
    kv = KeyedVectors.load(model_base)
    binary, text, back = tmp_path / "v.bin", tmp_path / "v8.txt.gz", tmp_path / "back"
    for args in ([model_base, binary], [model_base, text, "--level", "8"], [binary, back]):
        proc = run_cli("convert", *args)
        assert proc.returncode == 0, proc.stderr
    again = KeyedVectors.load(back)
    assert again.index_to_key == kv.index_to_key and np.array_equal(again.vectors, kv.vectors)
    assert again.levels == [4, 8, 16]
    small = KeyedVectors.load_word2vec_format(text)
    assert small.vector_size == 8 and np.allclose(small.vectors, kv.vectors[:, :8], atol=1e-5)

    prefix = tmp_path / "p8"
    assert run_cli("convert", model_base, prefix, "--level", "8", "--limit", "50").returncode == 0
    p8 = KeyedVectors.load(prefix)
    assert p8.levels == [4, 8] and len(p8) == 50 and np.array_equal(p8.vectors, kv.vectors[:50, :8])


def test_convert_from_glove(tmp_path):
    glove = tmp_path / "glove.txt"
    glove.write_text("the 0.1 0.2 0.3 0.4\ncat 0.5 0.6 0.7 0.8\n")
    proc = run_cli("convert", glove, tmp_path / "g", "--levels", "2,4")
    assert proc.returncode == 0, proc.stderr
    g = KeyedVectors.load(tmp_path / "g")
    assert g.index_to_key == ["the", "cat"] and g.levels == [2, 4]
    assert np.allclose(g["cat"], [0.5, 0.6, 0.7, 0.8])


@pytest.mark.parametrize("args, code, text", [
    (["{model}", "{tmp}/x.bin", "--level", "99"], 2, "larger than"),
    (["{tmp}/nothing", "{tmp}/x.bin"], 1, "no such"),
    (["{model}", "{tmp}/x.txt", "--levels", "4,8"], 2, "only applies"),
    (["{model}", "{tmp}/x", "--levels", "4,9"], 2, "--levels"),
    (["{model}", "{tmp}/missing/x.bin"], 1, "does not exist"),
])
def test_convert_bad_input(tmp_path, model_base, args, code, text):
    args = [a.format(model=model_base, tmp=tmp_path) for a in args]
    assert_one_line_error(run_cli("convert", *args), code, "convert", text)


# --------------------------------------------------------------------------- index
@pytest.mark.parametrize("kind", ["hnsw", "brute"])
def test_index_build_and_query(tmp_path, model_base, kind):
    index = tmp_path / "words"
    built = run_cli("index", "build", model_base, index, "--type", kind, "--level", "8", "--seed", "1")
    assert built.returncode == 0, built.stderr
    assert f"building a {kind} index of" in built.stderr  # progress (log lines: stderr is not a terminal)
    proc = run_cli("index", "query", index, "king", "whale", "--topn", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["word"] for a in answers] == ["king", "whale"]
    kv = KeyedVectors.load(model_base)
    exact = [w for w, _ in kv.most_similar("king", topn=5)]
    found = [w for w, _ in answers[0]["results"]]
    assert "king" not in found and len(found) == 5
    assert len(set(found) & set(exact)) >= 4  # funnel search re-ranks on the full vector


def test_index_bad_input(tmp_path, model_base):
    assert_one_line_error(run_cli("index", "query", tmp_path / "none", "king"), 1, "index query", "no index")
    assert_one_line_error(run_cli("index", "build", model_base, tmp_path / "i", "--level", "99"), 2,
                          "index build", "larger than")
    assert run_cli("index").returncode == 2


# --------------------------------------------------------------------------- demo
def test_demo(eval_files):
    analogies, pairs = eval_files
    proc = run_cli("demo", "--epochs", "1", "--levels", "8,16", "--analogies", analogies, "--pairs", pairs)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Quality per level" in out and "analogies acc" in out
    assert "Nearest neighbours at level 8:" in out and "Nearest neighbours at level 16:" in out
    assert "king ->" in out
    assert re.search(r"trained in [\d.]+ s: 1 epochs over \d+ words \(\d+ sentences\); vocabulary of \d+ words", out)
    # the table that needs no evaluation data: overlap of each level's neighbours with the full vector's
    rows = [line.split("|") for line in out.split("Neighbours kept per level")[1].splitlines()[3:5]]
    overlaps = {int(level): float(value) for level, value in rows}
    assert set(overlaps) == {8, 16} and overlaps[16] == 1.0 and 0.0 < overlaps[8] <= 1.0
