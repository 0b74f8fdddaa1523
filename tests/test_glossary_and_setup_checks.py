import os

import pytest

from mgtutor import checks, config, glossary


def test_glossary_covers_the_required_terms():
    zh = {t.zh for t in glossary.GLOSSARY}
    for term in ("音频信号", "采样", "谱图/声谱图", "短时傅里叶变换", "梅尔滤波器组", "梅尔频率倒谱系数",
                 "循环神经网络", "长短时记忆网络", "门控循环单元", "生成对抗网络", "生成器", "判别器",
                 "钢琴卷帘", "负对数似然"):
        assert term in zh
    assert len(zh) == len(glossary.GLOSSARY), "duplicate Chinese terms"
    assert all(t.notebook.isdigit() and len(t.notebook) == 2 for t in glossary.GLOSSARY)


def test_english_for_and_unknown_term():
    assert glossary.english_for("钢琴卷帘") == "piano roll"
    with pytest.raises(KeyError, match="not in the course glossary"):
        glossary.english_for("吉他")


def test_html_table_escapes_and_lists_every_term():
    html = glossary.glossary_html()
    assert html.count("<tr>") == len(glossary.GLOSSARY) + 1


@pytest.mark.parametrize("answer, passed, phrase", [
    ({"梅尔频率倒谱系数": "MFCC", "钢琴卷帘": "Piano roll"}, True, "2 terms"),
    ({"短时傅里叶变换": "short-time Fourier transform"}, True, "1 terms"),
    ({"梅尔频率倒谱系数": "mel filterbank"}, False, "look it up"),
    ({"梅尔频率倒谱系数": "m"}, False, "look it up"),
    ({"吉他": "guitar"}, False, "not a glossary term"),
    ({}, False, "dict"),
    ("MFCC", False, "dict"),
])
def test_glossary_exercise(answer, passed, phrase):
    result = checks.glossary_exercise(answer)
    assert bool(result) is passed and phrase in result.message
    assert result.message.startswith("✔" if passed else "✘")


def test_mode_exercise_hints_and_restores_mode():
    before = os.environ.get("MGTUTOR_MODE")
    assert checks.mode_exercise(lambda: config.pick(20, 1))
    assert "swapped" in checks.mode_exercise(lambda: config.pick(1, 20)).message
    assert "both modes" in checks.mode_exercise(lambda: 20).message
    assert "Expected 1" in checks.mode_exercise(lambda: config.pick(10, 2)).message
    assert os.environ.get("MGTUTOR_MODE") == before


def test_check_result_repr_is_the_message():
    assert repr(checks.ok("fine")) == "✔ fine" and str(checks.hint("x")) == "✘ Not yet. x"
