"""Listening tests: blind trials, the page's answer callback and its CSV (without a front end), the exact binomial
tests and intervals against hand-computed values, power and sample size."""

import csv
import io
import math
import threading

import numpy as np
import pytest
import soundfile as sf
from scipy.stats import beta

from mgtutor import listening
from mgtutor.listening import Clip, ListeningError, ListeningPage
from mgtutor.symbolic import Note


def pairs(n=6):
    return [(Clip(f"gen{i}", "model", b"gen%d" % i), Clip(f"real{i}", "bach", b"real%d" % i)) for i in range(n)]


def test_trials_are_blind_and_seeded():
    trials = listening.make_trials(pairs(40), "abx", seed=3)
    assert trials == listening.make_trials(pairs(40), "abx", seed=3)
    assert trials != listening.make_trials(pairs(40), "abx", seed=4)
    assert sorted(t.a.name + t.b.name for t in trials) != [t.a.name + t.b.name for t in trials]  # order shuffled
    sides = [t.a.system for t in trials]
    assert 5 < sides.count("model") < 35  # the model is on side A about half the time
    xs = [t.x for t in trials]
    assert set(xs) == {"A", "B"} and all(t.x_clip is (t.a if t.x == "A" else t.b) for t in trials)
    assert sorted({t.a.name[-1] + t.b.name[-1] for t in trials}) == sorted({str(i % 10) * 2 for i in range(40)})
    ab = listening.make_trials(pairs(), "ab")
    assert all(t.x is None and t.x_clip is None for t in ab) and [t.number for t in ab] == list(range(1, 7))
    with pytest.raises(ListeningError, match="kind must be one of"):
        listening.make_trials(pairs(), "mos")
    with pytest.raises(ListeningError, match="at least one pair"):
        listening.make_trials([], "ab")


def test_the_answer_callback_writes_one_row_per_answer(tmp_path):
    trials = listening.make_trials(pairs(3), "abx", seed=0)
    page = ListeningPage(trials, tmp_path / "answers.csv", "L01", clock=lambda: 1234.5)
    rows = [page.answer(t.x) for t in trials[:2]] + [page.answer("A" if trials[2].x == "B" else "B")]
    assert page.done and page.current is None and page.labels() == ["Thank you: 3 answers saved."]
    stored = listening.read_answers(tmp_path / "answers.csv")
    assert [r["correct"] for r in stored] == ["1", "1", "0"]
    assert stored[0]["listener"] == "L01" and stored[0]["unix_time"] == "1234.500"
    assert {r["system_a"] for r in stored} | {r["system_b"] for r in stored} == {"model", "bach"}
    assert rows[0]["trial"] == 1 and stored[0]["x"] == trials[0].x
    with pytest.raises(ListeningError, match="all 3 trials are answered"):
        page.answer("A")


def test_preference_rows_and_a_second_listener_append(tmp_path):
    path = tmp_path / "ab.csv"
    trials = listening.make_trials(pairs(4), "ab", seed=1)
    page = ListeningPage(trials, path, "L01")
    for t in trials:
        page.answer("A" if t.a.system == "bach" else "B")  # always prefers Bach
    ListeningPage(trials, path, "L02").answer("A")
    rows = listening.read_answers(path)
    assert len(rows) == 5 and [r["listener"] for r in rows].count("L02") == 1
    assert all(r["preferred_system"] == "bach" for r in rows[:4]) and rows[0]["correct"] == ""
    result = listening.analyse_answers(rows[:4], first_system="bach")["ab"]
    assert (result.successes, result.trials) == (4, 4) and result.p_value == pytest.approx(2 / 16)
    with pytest.raises(ListeningError, match="answer 'A' or 'B'"):
        ListeningPage(trials, path, "L03").answer("X")
    with pytest.raises(ListeningError, match="identifier"):
        ListeningPage(trials, path, " ")
    with pytest.raises(ListeningError, match="no trials"):
        ListeningPage([], path, "L04")


def test_the_page_names_no_system_and_its_buttons_call_the_callback(tmp_path):
    trials = listening.make_trials(pairs(2), "abx", seed=0)
    page = ListeningPage(trials, tmp_path / "w.csv", "L01")
    words = " ".join(page.labels())
    assert "X is A" in words and not any(s in words for s in ("model", "bach", "gen", "real"))
    box = page.widget()
    header, players, buttons = box.children
    assert [p.children[0].value for p in players.children] == ["<b>A</b>", "<b>B</b>", "<b>X</b>"]
    assert players.children[2].children[1].value == trials[0].x_clip.wav
    buttons.children[0].click()  # "X is A", as a listener would press it
    assert page.position == 1 and box.children[0].value.startswith("Trial 2 of 2")
    assert listening.read_answers(tmp_path / "w.csv")[0]["answer"] == "A"
    box.children[2].children[1].click()
    assert page.done and "Thank you" in box.children[0].value


def test_append_is_whole_lines_under_concurrent_writers(tmp_path):
    path = tmp_path / "many.csv"

    def writer(name):
        for i in range(60):
            listening.append_answer(path, {"listener": name, "trial": i, "answer": "A", "clip_a": "x," * 20})

    threads = [threading.Thread(target=writer, args=(f"L{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == 240 and all(r["clip_a"] == "x," * 20 and r["answer"] == "A" for r in rows)
    assert path.read_text().count("listener,trial") == 1
    with pytest.raises(ListeningError, match="unknown answer field"):
        listening.append_answer(path, {"score": 5})


def test_exact_binomial_tests_and_intervals_by_hand():
    r = listening.abx_test(9, 10)
    assert r.p_value == pytest.approx(11 / 1024)  # P(K ≥ 9) = (10 + 1) / 2^10
    assert r.low == pytest.approx(beta.ppf(0.025, 9, 2)) and r.high == pytest.approx(beta.ppf(0.975, 10, 1))
    assert r.rate == 0.9
    two = listening.preference_test(2, 10)
    assert two.p_value == pytest.approx(2 * (1 + 10 + 45) / 1024)  # 2 · P(K ≤ 2)
    assert listening.abx_test(10, 10).high == 1.0 and listening.abx_test(0, 10).p_value == 1.0
    for bad in ((11, 10), (-1, 10), (0, 0), (2.5, 10)):
        with pytest.raises(ListeningError):
            listening.abx_test(*bad)
    with pytest.raises(ListeningError, match="confidence"):
        listening.abx_test(5, 10, confidence=95)


def test_power_and_sample_size():
    # 10 trials at α = 0.05 need 9 correct (P(K ≥ 8) = 56/1024 > 0.05); at p = 0.8, P(K ≥ 9) = 10·0.8⁹·0.2 + 0.8¹⁰
    assert listening.abx_power(10, 0.8) == pytest.approx(10 * 0.8**9 * 0.2 + 0.8**10)
    assert listening.abx_power(10, 0.5) <= 0.05
    n = listening.trials_needed(0.75)
    assert listening.abx_power(n, 0.75) >= 0.8 > listening.abx_power(n - 1, 0.75)
    assert 20 < n < 40
    assert listening.trials_needed(0.6) > 100 > n
    with pytest.raises(ListeningError, match="guessing"):
        listening.trials_needed(0.5)
    with pytest.raises(ListeningError, match="no test of up to 5 trials"):
        listening.trials_needed(0.55, max_trials=5)
    with pytest.raises(ListeningError, match="whole number"):
        listening.abx_power(0, 0.8)


def test_mos_interval_and_clips():
    mean, low, high = listening.mos_interval([3, 4, 5])
    assert mean == 4 and high - mean == pytest.approx(4.302652729911275 / math.sqrt(3))  # t_{2, 0.975} · s / √n
    with pytest.raises(ListeningError, match="at least two"):
        listening.mos_interval([4])
    clip = listening.clip_from_notes("c", "bach", [Note(60, 0, 1), Note(64, 1, 2)], qpm=120, sr=8000)
    y, sr = sf.read(io.BytesIO(clip.wav))
    assert sr == 8000 and len(y) >= 8000 and np.abs(y).max() > 0.1
