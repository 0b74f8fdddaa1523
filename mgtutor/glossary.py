"""A Chinese–English glossary of the course's core terms.

Part of mgtutor. Shown as a table in notebooks/00_welcome.ipynb §6 and used by its exercise
checker, for readers who arrive from Chinese-language material. Each entry names the
notebook that explains the term.
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    """One glossary row: Chinese term, English term, a one-line meaning, the notebook that teaches it."""

    zh: str
    en: str
    meaning: str
    notebook: str


GLOSSARY: tuple[Term, ...] = (
    Term("音频信号", "audio signal", "air pressure over time, stored as samples x[n]", "01"),
    Term("采样", "sampling", "measuring a signal every 1/sr seconds", "01"),
    Term("采样率", "sample rate", "samples per second, sr (Hz)", "01"),
    Term("奈奎斯特频率", "Nyquist frequency", "sr/2, the highest frequency a sampled signal can hold", "01"),
    Term("混叠", "aliasing", "a frequency above sr/2 folding back to a lower one", "01"),
    Term("量化", "quantisation", "rounding samples to 2^bits levels; SNR ≈ 6.02·bits + 1.76 dB", "01"),
    Term("谱图/声谱图", "spectrogram", "magnitude of the STFT: frequency content over time", "02"),
    Term("短时傅里叶变换", "short-time Fourier transform (STFT)", "DFTs of overlapping windowed frames", "02"),
    Term("窗函数", "window function", "a taper (e.g. Hann) applied to each frame before the DFT", "02"),
    Term("梅尔刻度", "mel scale", "a pitch-perception scale, roughly linear below 1 kHz, log above", "03"),
    Term("梅尔滤波器组", "mel filterbank", "triangular filters spaced evenly on the mel scale", "03"),
    Term("梅尔频率倒谱系数", "mel-frequency cepstral coefficients (MFCC)",
         "DCT of the log mel-band energies of each frame", "03"),
    Term("离散余弦变换", "discrete cosine transform (DCT)", "the last step of MFCC, decorrelates log-mel bands", "03"),
    Term("乐器数字接口", "MIDI", "a symbolic format of note-on/note-off events, not audio", "04"),
    Term("钢琴卷帘", "piano roll", "a (time × 88 keys) matrix marking which keys sound", "04"),
    Term("移调", "transposition", "shifting every pitch by the same number of semitones", "04"),
    Term("循环神经网络", "recurrent neural network (RNN)", "a network whose state h_t carries the past", "05"),
    Term("长短时记忆网络", "long short-term memory (LSTM)",
         "an RNN with a gated cell state c_t that carries information over long gaps", "05"),
    Term("门控循环单元", "gated recurrent unit (GRU)", "an RNN with update and reset gates, no separate cell", "05"),
    Term("梯度消失", "vanishing gradient", "gradients shrinking exponentially with time distance", "05"),
    Term("温度采样", "temperature sampling", "sampling from softmax(logits / T)", "06"),
    Term("负对数似然", "negative log-likelihood (NLL)", "−log p(data); the loss and the benchmark metric", "07"),
    Term("生成对抗网络", "generative adversarial network (GAN)",
         "a generator and a discriminator trained against each other", "08"),
    Term("生成器", "generator", "the GAN network that maps noise to samples", "08"),
    Term("判别器", "discriminator", "the GAN network that tells real from generated samples", "08"),
    Term("模式崩溃", "mode collapse", "a generator producing only a few kinds of output", "08"),
)


def english_for(zh: str) -> str:
    """Return the English term for a Chinese one.

    Raises:
        KeyError: the term is not in the glossary (the message lists a few that are).
    """
    for term in GLOSSARY:
        if term.zh == zh:
            return term.en
    examples = ", ".join(t.zh for t in GLOSSARY[:4])
    raise KeyError(f"{zh!r} is not in the course glossary (e.g. {examples})")


def glossary_html() -> str:
    """The glossary as an HTML table (deterministic, for notebooks/00_welcome.ipynb §6)."""
    from html import escape

    rows = "".join(
        f"<tr><td>{escape(t.zh)}</td><td>{escape(t.en)}</td><td>{escape(t.meaning)}</td><td>{t.notebook}</td></tr>"
        for t in GLOSSARY
    )
    head = "<tr><th>中文</th><th>English</th><th>meaning</th><th>notebook</th></tr>"
    return f'<table class="mgtutor-glossary">{head}{rows}</table>'
