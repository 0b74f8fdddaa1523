import os

import pytest

from mgtutor import checks, config, glossary
from mgtutor.checks import FAILURES


def test_glossary_covers_the_required_terms():
    zh = {t.zh for t in glossary.GLOSSARY}
    for term in ("音频信号", "采样", "声谱图", "短时傅里叶变换", "梅尔滤波器组", "梅尔频率倒谱系数",
                 "循环神经网络", "长短时记忆网络", "门控循环单元", "生成对抗网络", "生成器", "判别器",
                 "钢琴卷帘", "负对数似然",
                 # the concepts the article confuses
                 "时域", "频域", "时频表示", "倒谱", "帧", "帧移", "细胞状态", "遗忘门", "输入门", "输出门",
                 "隐藏状态", "困惑度", "核采样", "词元", "嵌入", "交叉熵", "数据泄漏"):
        assert term in zh, term
    assert all(t.notebook.isdigit() and len(t.notebook) == 2 for t in glossary.GLOSSARY)


def test_each_sense_has_its_own_row_and_no_other_duplicates():
    rows = {}
    for t in glossary.GLOSSARY:
        rows.setdefault(t.zh, []).append(t)
    twice = {zh: [(t.notebook, t.meaning.split(":")[0]) for t in ts] for zh, ts in rows.items() if len(ts) > 1}
    assert twice == {"采样": [("01", "of a signal"), ("06", "from a distribution")],
                     "量化": [("01", "of amplitude"), ("04", "of timing")]}


def test_no_spelling_names_two_different_terms():
    owner = {}
    for t in glossary.GLOSSARY:
        for name in glossary.spellings(t):
            assert owner.setdefault(name, t.en) == t.en, f"{name!r} names {owner[name]!r} and {t.en!r}"


def test_quantisation_snr_rule_says_it_holds_for_a_full_scale_sine():
    amplitude = next(t for t in glossary.GLOSSARY if t.zh == "量化" and t.notebook == "01")
    assert "6.02·bits + 1.76 dB" in amplitude.meaning and "full-scale sine" in amplitude.meaning


@pytest.mark.parametrize("word, english", [
    ("钢琴卷帘", "piano roll"),
    ("长短时记忆网络", "long short-term memory (LSTM)"),
    ("长短期记忆网络", "long short-term memory (LSTM)"),
    ("频谱图", "spectrogram"), ("语谱图", "spectrogram"), ("谱图", "spectrogram"),
    ("梅尔标度", "mel scale"), ("模式坍塌", "mode collapse"), ("记忆单元", "cell state"), ("标记", "token"),
    ("采样", "sampling"),
])
def test_english_for_accepts_aliases(word, english):
    assert glossary.english_for(word) == english


def test_senses_and_english_spellings():
    assert [t.notebook for t in glossary.senses("sampling")] == ["01", "06"]
    assert glossary.senses("Musical Instrument Digital Interface")[0].zh == "乐器数字接口"
    assert glossary.senses("MIDI") == glossary.senses("乐器数字接口")
    assert glossary.senses(" STFT ")[0].zh == "短时傅里叶变换"
    assert glossary.senses("top-p sampling")[0].zh == "核采样"


def test_english_for_an_unknown_term():
    with pytest.raises(KeyError, match="not in the course glossary"):
        glossary.english_for("吉他")


def test_html_table_lists_every_row_and_its_aliases():
    html = glossary.glossary_html()
    assert html.count("<tr>") == len(glossary.GLOSSARY) + 1
    assert "also 长短期记忆网络" in html and "also Musical Instrument Digital Interface" in html


RIGHT = {"autocorrelation": "time domain", "crest factor": "time domain", "constant-Q magnitude": "time–frequency",
         "log-mel delta": "time–frequency", "MFCC delta": "cepstral"}
KEYS = {"acf": "autocorrelation", "crest": "crest factor", "cqt": "constant-Q magnitude", "dmel": "log-mel delta",
        "dmfcc": "MFCC delta"}


def wrong(**changes):
    answer = dict(RIGHT)
    for key, value in changes.items():
        answer[KEYS[key]] = value
    return answer


@pytest.mark.parametrize("answer, phrase", [
    (wrong(cqt="time domain"), "the article's own mistake"),
    (wrong(dmfcc="time-domain"), "the article's own mistake"),
    (wrong(dmel="time domain", dmfcc="time domain"), "the article's own mistake"),
    (wrong(acf="time–frequency"), "Look at how the autocorrelation is computed"),
    (wrong(crest="cepstral"), "Look at how the crest factor is computed"),
    (wrong(dmel="cepstral"), "adds no DCT"),
    (wrong(dmfcc="time–frequency"), "is its other axis frequency"),
    (wrong(cqt="cepstral"), "constant-Q magnitude is not cepstral"),
    (wrong(cqt="frequency domain"), "has a frame (time) axis too"),
    (wrong(cqt="spectral"), "is not a label"),
    ({"MFCC delta": "cepstral"}, "missing: autocorrelation, crest factor"),
    ({**RIGHT, "STFT magnitude": "time–frequency"}, "not one of the five features"),
    ({}, "Answer with a dict"),
    ("cepstral", "Answer with a dict"),
])
def test_feature_domain_exercise_recognises_wrong_answers(answer, phrase):
    result = checks.feature_domain_exercise(answer)
    assert not result and phrase in result.message, result.message


def test_feature_domain_exercise_passes_the_key_in_any_spelling():
    assert checks.feature_domain_exercise(RIGHT)
    assert checks.feature_domain_exercise(checks.FEATURE_DOMAINS)
    chinese = {"Autocorrelation": "时域", "crest-factor": "时域", "constant Q magnitude": "时频表示",
               "log mel delta": "Time-Frequency", "mfcc_delta": "倒谱"}
    result = checks.feature_domain_exercise(chinese)
    assert result and result.message.startswith("✔")


def test_feature_domain_exercise_asks_about_features_notebook_00_does_not_print_before_it():
    """Exercise 1 is answered by reasoning: no feature it names occurs in a cell or output above it."""
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / "00_welcome.ipynb").read_text("utf-8"))
    cells = nb["cells"]
    first = next(i for i, c in enumerate(cells) if "Exercise 1" in "".join(c["source"]))
    before = " ".join("".join(c["source"]) + " ".join(str(o) for o in c.get("outputs", [])) for c in cells[:first])
    assert not [name for name in checks.FEATURE_DOMAINS if name.lower() in before.lower()]


def test_feature_domain_hints_come_in_tiers_and_a_stub_is_not_attempted():
    FAILURES.clear()
    first = checks.feature_domain_exercise(wrong(cqt="time domain"))
    second = checks.feature_domain_exercise(wrong(cqt="time domain"))
    assert "Next hint" not in first.message
    assert "Next hint: A constant-Q transform has a frequency axis" in second.message
    assert "not attempted yet" in checks.feature_domain_exercise(...).message
    FAILURES.clear()


def test_mode_exercise_hints_and_restores_mode():
    before = os.environ.get("MGTUTOR_MODE")
    assert checks.mode_exercise(lambda: config.pick(20, 1))
    assert "swapped" in checks.mode_exercise(lambda: config.pick(1, 20)).message
    assert "both modes" in checks.mode_exercise(lambda: 20).message
    assert "Expected 1" in checks.mode_exercise(lambda: config.pick(10, 2)).message
    assert "raised TypeError" in checks.mode_exercise(lambda mode: config.pick(20, 1)).message
    assert os.environ.get("MGTUTOR_MODE") == before


def test_mode_exercise_stub_is_not_attempted():
    def epochs():
        """Return 20 in full mode and 1 in smoke mode."""
        ...

    assert "not attempted yet" in checks.mode_exercise(epochs).message


def test_check_result_repr_is_the_message():
    assert repr(checks.ok("fine")) == "✔ fine" and str(checks.hint("x")) == "✘ Not yet. x"
