"""The corrections index: every claim of the article the course grew from, and where the course corrects it.

Part of mgtutor. One data source for the table in notebooks/00_welcome.ipynb §8 (and for the
course's closing audit in notebook 12). Each row paraphrases a claim of the article (never quotes it),
states what is correct, and says whether a notebook already proves the correction with executed cells.
Links point at a notebook section by its heading anchor, formed as JupyterLab forms it
(:func:`heading_anchor`); ``tests/test_corrections.py`` resolves every link.
"""

from __future__ import annotations

import re
from typing import NamedTuple

CORRECTED = "corrected"
"""An executed cell proves the correct statement and the notebook names the claim."""
SHOWN = "shown"
"""Executed cells show the correct statement, but the notebook does not yet name the claim."""
PENDING = "pending"
"""Not yet corrected; ``notebook`` names the notebook that will correct it."""

STATUS_TEXT = {
    CORRECTED: "✔ corrected, executed proof",
    SHOWN: "◐ shown by executed cells, claim not yet named",
    PENDING: "… pending",
}


class Correction(NamedTuple):
    """One row of the index.

    Attributes:
        section: where the claim is in the article (its own section numbers).
        claim: the claim, paraphrased.
        correct: the correct statement.
        status: :data:`CORRECTED`, :data:`SHOWN` or :data:`PENDING`.
        notebook: two-digit number of the notebook that corrects it (or will).
        link: ``notebooks/NN_name.ipynb#Heading-anchor`` of the section holding the proof; ``None`` when pending.
    """

    section: str
    claim: str
    correct: str
    status: str
    notebook: str
    link: str | None = None


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "§4.2", "Writes the LSTM update as the output gate times the candidate, `h_t = o_t · g_t`, with no cell state.",
        "The LSTM keeps a cell state: `c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t`, `h_t = o_t ⊙ tanh(c_t)`. Without `c_t` "
        "the forget and input gates have no effect and the long-memory path is gone.",
        CORRECTED, "05", "notebooks/05_rnn_lstm_from_scratch.ipynb#4.-The-LSTM-and-its-cell-state"),
    Correction(
        "§4.1", "Gives MFCC as a weighted sum of the raw samples, `C_k = Σ_n x(n) a_k(n)`.",
        "That is a linear projection of the samples. MFCC is the DCT-II of the log mel-band energies of each "
        "frame's power spectrum, truncated to the first coefficients.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected"),
    Correction(
        "§4.3", "Calls the output of a mel filterbank MFCC.",
        "A mel filterbank gives the mel spectrogram (M bands per frame); MFCCs are the DCT of its logarithm, "
        "truncated to Q < M coefficients, and far less correlated.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected"),
    Correction(
        "§2.2", "Lists the STFT and MFCC among time-domain features.",
        "The STFT magnitude is a time–frequency representation and MFCC a cepstral one; time-domain features "
        "such as RMS energy and zero-crossing rate are computed from the samples directly "
        "(practised in notebook 00, exercise 1).",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected"),
    Correction(
        "§4.1", "Its MFCC example uses 128 filters, as if the filter count were the MFCC count.",
        "The number of mel filters (`n_mels`, often 26–128) and the number of coefficients kept "
        "(`n_mfcc`, often 13–20) are two separate parameters.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected"),
    Correction(
        "§2.1", "Says a spectrogram extracts the melody, chords and rhythm of the music.",
        "A spectrogram shows energy over time and frequency; melody, chords and rhythm must be estimated from it "
        "(pitch tracking, chroma, onset detection), and a feature such as MFCC discards pitch altogether.",
        SHOWN, "03", "notebooks/03_mel_mfcc.ipynb#7.-Chroma,-briefly:-the-pitch-that-MFCCs-discard"),
    Correction(
        "§3.2", "Its RNN pseudo-code produces the music from the processed sequence in one call, with no loop.",
        "A sequence model generates autoregressively: it predicts a distribution over the next token, one token "
        "is sampled and fed back, and the step repeats (the loop is written out and proven equal to the library's).",
        CORRECTED, "06", "notebooks/06_melody_generation.ipynb#4.-Stateful-generation-versus-re-feeding-the-window"),
    Correction(
        "§2", "Its pipeline generates music before training the model, and goes from audio to spectrogram "
        "features to generated audio.",
        "A model is trained before it generates: data → train → generate → evaluate. The course's models "
        "generate symbols (tokens, piano rolls) that are rendered to audio afterwards; the spectrogram GAN of "
        "notebook 09 is the one exception.",
        CORRECTED, "00", "notebooks/00_welcome.ipynb#From-data-to-music:-train-first,-then-generate"),
    Correction(
        "§5.1", "Sets up the environment by installing Python 3.7 with pip, beside TensorFlow 2.5 and Keras 2.5.",
        "pip installs packages into an existing Python; it cannot install the interpreter (use the operating "
        "system, conda or Colab). The versions the course needs are read from its package metadata.",
        CORRECTED, "00", "notebooks/00_welcome.ipynb#Python-is-not-a-pip-package"),
    Correction(
        "§5.2", "Prints a GAN training listing that cannot run (unbatched noise, undefined data, a discriminator "
        "never compiled nor frozen, mismatched labels and batches, an unused optimizer).",
        "A working Keras 3 GAN, repaired bug by bug, with each fix tested.",
        CORRECTED, "08", "notebooks/08_gans_first_principles.ipynb#5.-The-article's-listing,-repaired-bug-by-bug"),
    Correction(
        "§3.1", "Its discriminator pseudo-code takes real and generated audio together, and speaks of "
        "computing the discriminator's parameters.",
        "The discriminator scores one sample at a time as real or generated; its parameters are learnt by "
        "gradient descent on that classification loss.",
        CORRECTED, "08", "notebooks/08_gans_first_principles.ipynb#3.-A-GAN-as-a-Keras-model"),
    Correction(
        "§7.3.1", "Cites the DCGAN paper as the founding GAN paper of 2014.",
        "GANs were introduced by Goodfellow et al. (2014); DCGAN is Radford et al. (arXiv 2015, ICLR 2016).",
        CORRECTED, "08", "notebooks/08_gans_first_principles.ipynb#Bug-8:-DCGAN-is-not-the-founding-GAN-paper"),
    Correction(
        "§2.6", "Proposes mean squared error as an objective measure of music quality.",
        "Distance to one reference piece is not quality. Generated music is judged by held-out likelihood, "
        "pitch and rhythm statistics against the data, memorisation checks and listening tests.",
        CORRECTED, "11",
        "notebooks/11_evaluating_generated_music.ipynb#4.-Likelihood-as-a-metric-—-and-why-mean-squared-error-is-not-one"),
    Correction(
        "§6, §8, §9", "Suggests that generating unique music makes copyright protection easy.",
        "Novel-looking output can still copy training material, datasets carry licences, and who (if anyone) "
        "owns generated music depends on the jurisdiction; memorisation has to be measured.",
        PENDING, "12"),
    Correction(
        "§7.3.2", "Describes WaveNet as an RNN-based audio model.",
        "WaveNet (van den Oord et al., DeepMind, 2016) is a stack of dilated causal convolutions, not a "
        "recurrent network.",
        CORRECTED, "09", "notebooks/09_gans_music_audio.ipynb#5.-WaveNet-is-a-dilated-causal-CNN,-not-an-RNN"),
    Correction(
        "references", "Cites books, a course, URLs and papers that do not exist as cited, and credits a "
        "well-known online specialization to the wrong university.",
        "Every reference needs a checked source; for example TensorFlow's music tutorial is at "
        "tensorflow.org/tutorials/audio/music_generation.",
        PENDING, "12"),
    Correction(
        "§1.4", "Defines a CNN as a network for image processing and recognition.",
        "Convolutional networks fit any data with local structure: audio waveforms (WaveNet), spectrograms "
        "and piano rolls.",
        CORRECTED, "09", "notebooks/09_gans_music_audio.ipynb#5.-WaveNet-is-a-dilated-causal-CNN,-not-an-RNN"),
)


def heading_anchor(heading: str) -> str:
    """The anchor JupyterLab gives a markdown heading: its rendered text with each space replaced by ``-``.

    Leading ``#``s go, inline code and emphasis markers are rendered away, punctuation stays:
    ``## 4. The GRU and `reset_after` `` → ``4.-The-GRU-and-reset_after``. (nbconvert, and so GitHub's
    notebook view, forms the same ids.)

    See: notebooks/00_welcome.ipynb §8.
    """
    text = heading.strip().lstrip("#").strip()
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*", r"\1", text)
    return text.replace(" ", "-")


def rows(status: str | None = None) -> list[Correction]:
    """The index, optionally only the rows with one status (:data:`CORRECTED`, :data:`SHOWN`, :data:`PENDING`).

    Raises:
        ValueError: an unknown status (the message lists the known ones).
    """
    if status is not None and status not in STATUS_TEXT:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUS_TEXT)}")
    return [c for c in CORRECTIONS if status is None or c.status == status]


def markdown_table(from_dir: str = "notebooks") -> str:
    """The index as a markdown table, with links relative to ``from_dir`` (the folder of the notebook showing it).

    Args:
        from_dir: repository folder the links start from: ``"notebooks"`` for a notebook, ``""`` for the root.
    Returns:
        Markdown text, one row per claim, numbered from 1.
    See: notebooks/00_welcome.ipynb §8.
    """
    prefix = from_dir.strip("/") + "/" if from_dir.strip("/") else ""
    lines = ["| # | the article (section) | correct statement | status | where |", "|---|---|---|---|---|"]
    for number, c in enumerate(CORRECTIONS, start=1):
        if c.link:
            target = c.link[len(prefix):] if prefix and c.link.startswith(prefix) else c.link
            label = f"nb{c.notebook} {_section_label(c.link.partition('#')[2])}"
            where = f"[{label}]({target})"
        else:
            where = f"notebook {c.notebook}"
        lines.append(f"| {number} | {c.claim} ({c.section}) | {c.correct} | {STATUS_TEXT[c.status]} | {where} |")
    return "\n".join(lines)


def _section_label(anchor: str) -> str:
    """'4.-The-LSTM-and-its-cell-state' → '§4'; an unnumbered heading → its words."""
    number = re.match(r"(\d+)\.-", anchor)
    return f"§{number.group(1)}" if number else "· " + anchor.replace("-", " ")
