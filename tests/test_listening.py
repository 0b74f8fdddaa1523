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
    keys = [t.key for t in trials]
    assert set(keys) == {"A", "B"} and all(t.x is (t.a if t.key == "A" else t.b) for t in trials)
    assert sorted({t.a.name[-1] + t.b.name[-1] for t in trials}) == sorted({str(i % 10) * 2 for i in range(40)})
    ab = listening.make_trials(pairs(), "ab")
    assert all(t.x is None and t.key is None for t in ab) and [t.number for t in ab] == list(range(1, 7))
    for kind in ("mos", "2afc"):
        with pytest.raises(ListeningError, match="kind must be one of"):
            listening.make_trials(pairs(), kind)
    with pytest.raises(ListeningError, match="at least one pair"):
        listening.make_trials([], "ab")


def test_the_answer_callback_writes_one_row_per_answer(tmp_path):
    trials = listening.make_trials(pairs(3), "abx", seed=0)
    page = ListeningPage(trials, tmp_path / "answers.csv", "L01", clock=lambda: 1234.5)
    rows = [page.answer(t.key) for t in trials[:2]] + [page.answer("A" if trials[2].key == "B" else "B")]
    assert page.done and page.current is None and page.labels() == ["Thank you: 3 answers saved."]
    stored = listening.read_answers(tmp_path / "answers.csv")
    assert [r["correct"] for r in stored] == ["1", "1", "0"]
    assert stored[0]["listener"] == "L01" and stored[0]["unix_time"] == "1234.500"
    assert {r["system_a"] for r in stored} | {r["system_b"] for r in stored} == {"model", "bach"}
    assert rows[0]["trial"] == 1 and stored[0]["x"] == stored[0]["key"] == trials[0].key
    assert stored[0]["clip_x"] == trials[0].x.name
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
    assert players.children[2].children[1].value == trials[0].x.wav
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


# --------------------------------------------------------------------------- designs that answer their question
def systems(n_human=5, n_generated=4):
    human = [Clip(f"bach{i}", "bach", b"h%d" % i) for i in range(n_human)]
    generated = [Clip(f"lstm{i}", "model", b"g%d" % i) for i in range(n_generated)]
    return human, generated


def test_2afc_draws_a_clip_of_each_system_and_keys_the_human_one():
    human, generated = systems()
    trials = listening.draw_trials(human, generated, "2afc", n_trials=40, seed=1)
    assert trials == listening.draw_trials(human, generated, "2afc", n_trials=40, seed=1)
    assert all({t.a.system, t.b.system} == {"bach", "model"} and t.x is None for t in trials)
    assert all((t.a if t.key == "A" else t.b).system == "bach" for t in trials)
    assert 10 < [t.key for t in trials].count("A") < 30  # the human clip is on either side
    first_pass = [next(c.name for c in (t.a, t.b) if c.system == "bach") for t in trials[:5]]
    assert sorted(first_pass) == sorted(c.name for c in human)  # each clip once before any repeats
    assert len(listening.draw_trials(human, generated, "2afc")) == 5  # default: the larger set's size


def test_category_abx_never_plays_a_copy_as_x():
    human, generated = systems(3, 2)
    trials = listening.draw_trials(human, generated, "category-abx", n_trials=200, seed=2)
    assert all(t.x is not t.a and t.x is not t.b for t in trials)
    assert all((t.a if t.key == "A" else t.b).system == t.x.system for t in trials)
    assert 60 < sum(t.x.system == "bach" for t in trials) < 140


def tune_matcher(trial, rng):
    """A listener who recognises pieces but cannot tell the systems apart: picks the clip identical to X, else
    guesses."""
    if trial.x is trial.a or trial.x is trial.b:
        return "A" if trial.x is trial.a else "B"
    return "A" if rng.random() < 0.5 else "B"


def test_a_listener_who_only_recognises_pieces_passes_abx_on_different_pieces_and_nothing_else():
    human, generated = systems(40, 40)
    rng = np.random.default_rng(0)
    old = listening.make_trials(list(zip(human, generated, strict=True)), "abx", seed=0)
    assert all(tune_matcher(t, rng) == t.key for t in old)  # 100 %: the old design measured recognition
    for kind in ("2afc", "category-abx"):
        trials = listening.draw_trials(human, generated, kind, n_trials=400, seed=0)
        rate = np.mean([tune_matcher(t, rng) == t.key for t in trials])
        assert abs(rate - 0.5) < 0.08, (kind, rate)


def test_draw_trials_refuses_what_cannot_be_a_test():
    human, generated = systems()
    with pytest.raises(ListeningError, match="kind must be one of"):
        listening.draw_trials(human, generated, "abx")
    with pytest.raises(ListeningError, match="at least 2 generated"):
        listening.draw_trials(human, generated[:1], "category-abx")
    with pytest.raises(ListeningError, match="at least 1 human"):
        listening.draw_trials([], generated)
    with pytest.raises(ListeningError, match="different systems"):
        listening.draw_trials(human, [Clip("x", "bach", b"")])
    with pytest.raises(ListeningError, match="name of its own"):
        listening.draw_trials(human, [Clip("bach0", "model", b"")])
    with pytest.raises(ListeningError, match="n_trials"):
        listening.draw_trials(human, generated, n_trials=0)


def test_the_page_asks_each_kind_its_own_question(tmp_path):
    human, generated = systems()
    page = ListeningPage(listening.draw_trials(human, generated, "2afc", seed=0), tmp_path / "a.csv", "L01")
    assert page.labels()[1:] == ["A", "B", "A was written by a person", "B was written by a person"]
    page = ListeningPage(listening.draw_trials(human, generated, "category-abx", seed=0), tmp_path / "b.csv", "L01")
    assert page.labels()[1:4] == ["A", "B", "X"] and "same source" in page.labels()[0]
    trial = page.current
    row = page.answer(trial.key)
    assert row["correct"] == 1 and row["clip_x"] == trial.x.name and row["x"] == ""
    assert not any(word in " ".join(ListeningPage([trial], tmp_path / "c.csv", "L").labels())
                   for word in ("bach", "model", "lstm"))


# --------------------------------------------------------------------------- answers files of every age
OLD_HEADER = "listener,trial,kind,clip_a,system_a,clip_b,system_b,x,answer,correct,preferred_system,unix_time\n"


def test_an_answers_file_without_the_new_columns_still_loads_and_takes_abx_rows(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(OLD_HEADER + "L01,1,abx,gen0,model,real0,bach,B,B,1,,100.000\n", encoding="utf-8")
    rows = listening.read_answers(path)
    assert rows[0]["key"] == "B" and rows[0]["clip_x"] == "" and set(rows[0]) == set(listening.ANSWER_FIELDS)
    page = ListeningPage(listening.make_trials(pairs(1), "abx", seed=0), path, "L02")
    page.answer("A")  # an ABX answer fits the old columns: x says which clip X was
    with pytest.raises(ListeningError, match="cannot hold this answer"):  # a 2AFC answer's key would be lost
        listening.append_answer(path, {"listener": "L03", "kind": "2afc", "key": "A"})
    rows = listening.read_answers(path)
    assert [r["listener"] for r in rows] == ["L01", "L02"] and rows[1]["key"] == rows[1]["x"] != ""
    assert path.read_text(encoding="utf-8").startswith(OLD_HEADER)


def test_a_new_answer_goes_into_the_columns_of_an_old_file(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(OLD_HEADER, encoding="utf-8")
    listening.append_answer(path, {"listener": "L01", "trial": 3, "kind": "ab", "preferred_system": "bach"})
    rows = listening.read_answers(path)
    assert (rows[0]["listener"], rows[0]["trial"], rows[0]["preferred_system"]) == ("L01", "3", "bach")


# --------------------------------------------------------------------------- listeners are the unit
def answers(correct_by_listener, kind="2afc"):
    return [{"listener": name, "kind": kind, "correct": str(c)} for name, cs in correct_by_listener.items()
            for c in cs]


def test_per_listener_and_listener_level_tests_by_hand():
    rows = answers({"L1": [1] * 9 + [0], "L2": [1] * 5 + [0] * 5, "L3": [1] * 4 + [0] * 6})
    per = listening.per_listener(rows, "2afc")
    assert list(per) == ["L1", "L2", "L3"] and per["L1"].p_value == pytest.approx(11 / 1024)
    level = listening.listener_level_test(rows, "2afc")
    rates = np.array([0.9, 0.5, 0.4])
    t = (rates.mean() - 0.5) / (rates.std(ddof=1) / math.sqrt(3))
    assert level.rates == (0.9, 0.5, 0.4) and level.t == pytest.approx(t)
    from scipy.stats import t as student

    assert level.p_value == pytest.approx(student.sf(t, 2))
    pooled = listening.analyse_answers(rows)["2afc"]
    assert (pooled.successes, pooled.trials) == (18, 30)
    with pytest.raises(ListeningError, match="at least two listeners"):
        listening.listener_level_test(answers({"L1": [1, 0]}), "2afc")
    with pytest.raises(ListeningError, match="right answer"):
        listening.per_listener(rows, "ab")


def test_pooling_the_trials_of_listeners_who_differ_rejects_chance_too_often():
    """Listeners whose own rates are 0.3 or 0.7 (on average chance): the pooled binomial test rejects 'chance' far
    above its 5 %, the listener-level test near it."""
    rng = np.random.default_rng(0)
    pooled = level = 0
    studies = 400
    for _ in range(studies):
        rates = rng.choice([0.3, 0.7], size=10)
        correct = rng.binomial(20, rates)
        pooled += listening.abx_test(int(correct.sum()), 200).p_value < 0.05
        rows = answers({f"L{i}": [1] * c + [0] * (20 - c) for i, c in enumerate(correct)})
        level += listening.listener_level_test(rows, "2afc").p_value < 0.05
    assert pooled / studies > 0.15 and level / studies < 0.09
