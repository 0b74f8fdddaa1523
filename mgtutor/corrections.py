"""The corrections index: every claim of the article the course grew from, and where the course corrects it.

Part of mgtutor. One data source for the table in notebooks/00_welcome.ipynb §8 and in
notebooks/12_applications_and_ethics.ipynb §6. Each row paraphrases a claim of the article (never quotes it),
states what is correct, names a primary source for it, and says whether a notebook already proves the correction
with executed cells. Links point at a notebook section by its heading anchor, formed as JupyterLab forms it
(:func:`heading_anchor`); ``tests/test_corrections.py`` resolves every link.

:data:`REFERENCES` is the check of the article's reference list, one row per reference that is wrong or could not
be found, with the source to cite instead (notebook 12 §6 renders it with :func:`references_table`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

CORRECTED = "corrected"
"""An executed cell proves the correct statement and the notebook names the claim."""
SHOWN = "shown"
"""Executed cells show the correct statement, but the notebook does not yet name the claim."""
CITED = "cited"
"""A fact of record (a date, an author): the notebook states the correct fact with its primary source; no executed
cell can prove it, so none claims to."""
PENDING = "pending"
"""Not yet corrected; ``notebook`` names the notebook that will correct it."""

STATUS_TEXT = {
    CORRECTED: "✔ corrected, executed proof",
    CITED: "✔ corrected by its primary source (a fact of record, nothing to execute)",
    SHOWN: "◐ shown by executed cells, claim not yet named",
    PENDING: "… pending",
}


class Correction(NamedTuple):
    """One row of the index.

    Attributes:
        section: where the claim is in the article (its own section numbers).
        claim: the claim, paraphrased.
        correct: the correct statement.
        status: :data:`CORRECTED`, :data:`CITED`, :data:`SHOWN` or :data:`PENDING`.
        notebook: two-digit number of the notebook that corrects it (or will).
        link: ``notebooks/NN_name.ipynb#Heading-anchor`` of the section holding the proof; ``None`` when pending.
        source: a primary source for the correct statement, as a short citation (authors year, venue or
            identifier), e.g. ``Hochreiter & Schmidhuber 1997, Neural Computation 9(8)``.
    """

    section: str
    claim: str
    correct: str
    status: str
    notebook: str
    link: str | None = None
    source: str = ""


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "§4.2", "Writes the LSTM update as the output gate times the candidate, `h_t = o_t · g_t`, with no cell state.",
        "The LSTM keeps a cell state: `c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t`, `h_t = o_t ⊙ tanh(c_t)`. Without `c_t` "
        "the forget and input gates have no effect and the long-memory path is gone.",
        CORRECTED, "05", "notebooks/05_rnn_lstm_from_scratch.ipynb#5.-A-version-that-drops-the-cell-state",
        source="Hochreiter & Schmidhuber 1997, Neural Computation 9(8); Gers, Schmidhuber & Cummins 2000, "
               "Neural Computation 12(10)"),
    Correction(
        "§4.1", "Gives MFCC as a weighted sum of the raw samples, `C_k = Σ_n x(n) a_k(n)`.",
        "That is a linear projection of the samples. MFCC is the DCT-II of the log mel-band energies of each "
        "frame's power spectrum, truncated to the first coefficients.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected",
        source="Davis & Mermelstein 1980, IEEE Trans. ASSP 28(4)"),
    Correction(
        "§4.3", "Calls the output of a mel filterbank MFCC.",
        "A mel filterbank gives the mel spectrogram (M bands per frame); MFCCs are the DCT of its logarithm, "
        "truncated to Q < M coefficients, and far less correlated.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected",
        source="Davis & Mermelstein 1980, IEEE Trans. ASSP 28(4)"),
    Correction(
        "§2.2", "Lists the STFT and MFCC among time-domain features.",
        "The STFT magnitude is a time–frequency representation and MFCC a cepstral one; time-domain features "
        "such as RMS energy and zero-crossing rate are computed from the samples directly "
        "(notebook 00, exercise 1, practises the domains on five other features).",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected",
        source="Müller 2015, Fundamentals of Music Processing (Springer), ch. 2"),
    Correction(
        "§4.1", "Its MFCC example uses 128 filters, as if the filter count were the MFCC count.",
        "The number of mel filters (`n_mels`, often 26–128) and the number of coefficients kept "
        "(`n_mfcc`, often 13–20) are two separate parameters.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#8.-Four-wrong-statements,-corrected",
        source="librosa documentation, librosa.feature.mfcc (n_mfcc; n_mels goes to melspectrogram); "
               "Davis & Mermelstein 1980"),
    Correction(
        "§2.1", "Says a spectrogram extracts the melody, chords and rhythm of the music.",
        "A spectrogram shows energy over time and frequency; melody, chords and rhythm must be estimated from it "
        "(pitch tracking, chroma, onset detection), and a feature such as MFCC discards pitch altogether.",
        CORRECTED, "03", "notebooks/03_mel_mfcc.ipynb#7.-Chroma,-briefly:-the-pitch-that-MFCCs-discard",
        source="Müller 2015, Fundamentals of Music Processing (Springer), chs. 5 (chords), 6 (tempo and beat), "
               "8 (melody)"),
    Correction(
        "§3.2", "Its RNN pseudo-code produces the music from the processed sequence in one call, with no loop.",
        "A sequence model generates autoregressively: it predicts a distribution over the next token, one token "
        "is sampled and fed back, and the step repeats (the loop is written out and proven equal to the library's).",
        CORRECTED, "06", "notebooks/06_melody_generation.ipynb#4.-Stateful-generation-versus-re-feeding-the-window",
        source="Graves 2013, Generating Sequences With Recurrent Neural Networks, arXiv:1308.0850"),
    Correction(
        "§2", "Its pipeline generates music before training the model, and goes from audio to spectrogram "
        "features to generated audio.",
        "A model is trained before it generates: data → train → generate → evaluate. The course's models "
        "generate symbols (tokens, piano rolls) that are rendered to audio afterwards; the spectrogram GAN of "
        "notebook 09 is the one exception.",
        CORRECTED, "00", "notebooks/00_welcome.ipynb#From-data-to-music:-train-first,-then-generate",
        source="Briot, Hadjeres & Pachet 2017, Deep Learning Techniques for Music Generation, arXiv:1709.01620"),
    Correction(
        "§5.1", "Sets up the environment by installing Python 3.7 with pip, beside TensorFlow 2.5 and Keras 2.5.",
        "pip installs packages into an existing Python; it cannot install the interpreter (use the operating "
        "system, conda or Colab). The versions the course needs are read from its package metadata.",
        CORRECTED, "00", "notebooks/00_welcome.ipynb#Python-is-not-a-pip-package",
        source="Python Packaging User Guide, Installing Packages (packaging.python.org)"),
    Correction(
        "§5.2", "Prints a GAN training listing that cannot run: a Keras 2 `Flatten(input_shape=…)` (Keras 3 warns), "
        "data never defined, noise without a batch axis, a random choice from a 2-D array, a discriminator never "
        "compiled nor frozen, a generator step that trains the discriminator with its optimizer (the generator's "
        "own optimizer unused), labels that do not match the batch, and an inner loop that counts batch_size "
        "instead of batches.",
        "A working Keras 3 GAN, repaired bug by bug with each failure shown; the repaired loop takes the same step "
        "as the course's GAN class (checked weight for weight), each optimizer updating only its own network.",
        CORRECTED, "08", "notebooks/08_gans_first_principles.ipynb#5.-The-article's-listing,-repaired-bug-by-bug",
        source="Keras example DCGAN overriding train_step (keras.io/examples/generative/dcgan_overriding_train_step)"),
    Correction(
        "§3.1", "Its discriminator pseudo-code takes real and generated audio together, and speaks of "
        "computing the discriminator's parameters.",
        "The discriminator scores one sample at a time as real or generated; its parameters are learnt by "
        "gradient descent on that classification loss.",
        CORRECTED, "08", "notebooks/08_gans_first_principles.ipynb#3.-A-GAN-as-a-Keras-model",
        source="Goodfellow et al. 2014, Generative Adversarial Nets, NeurIPS, arXiv:1406.2661"),
    Correction(
        "§7.3.1", "Cites the DCGAN paper as the founding GAN paper of 2014.",
        "GANs were introduced by Goodfellow et al. (2014); DCGAN is Radford et al. (arXiv 2015, ICLR 2016).",
        CITED, "08",
        "notebooks/08_gans_first_principles.ipynb#Beyond-the-listing:-DCGAN-is-not-the-founding-GAN-paper",
        source="Goodfellow et al. 2014, NeurIPS, arXiv:1406.2661; Radford, Metz & Chintala 2016, ICLR, "
               "arXiv:1511.06434"),
    Correction(
        "§2.6", "Proposes mean squared error as an objective measure of music quality.",
        "Distance to one reference piece is not quality. Generated music is judged by held-out likelihood, "
        "pitch and rhythm statistics against the data, memorisation checks and listening tests.",
        CORRECTED, "11",
        "notebooks/11_evaluating_generated_music.ipynb#4.-Likelihood-as-a-metric-—-and-why-mean-squared-error-is-not-one",
        source="Yang & Lerch 2020, Neural Computing and Applications 32; Theis, van den Oord & Bethge 2016, "
               "ICLR, arXiv:1511.01844"),
    Correction(
        "§6, §8, §9", "Suggests that generating unique music makes copyright protection easy.",
        "Output that looks new can still hold a transposed copy of a training piece (the copying check finds "
        "one, and one changed note hides it from the check); datasets carry licences that bind their use; and "
        "whether generated music has an owner depends on the jurisdiction (in the US, only human authorship "
        "is protected).",
        CORRECTED, "12", "notebooks/12_applications_and_ethics.ipynb#4.-The-copying-check-as-a-safeguard",
        source="Sturm et al. 2019, Arts 8(3):115; US Copyright Office 2025, Copyright and Artificial Intelligence, "
               "Part 2"),
    Correction(
        "§7.3.2", "Describes WaveNet as an RNN-based audio model.",
        "WaveNet (van den Oord et al., DeepMind, 2016) is a stack of dilated causal convolutions, not a "
        "recurrent network.",
        CORRECTED, "09", "notebooks/09_gans_music_audio.ipynb#5.-WaveNet-is-a-dilated-causal-CNN,-not-an-RNN",
        source="van den Oord et al. 2016, WaveNet: A Generative Model for Raw Audio, arXiv:1609.03499"),
    Correction(
        "references", "Cites books, a course, URLs and papers that do not exist as cited, and credits a "
        "well-known online specialization to the wrong university.",
        "Each reference checked, with a real source for each (seven, listed in notebook 12): e.g. TensorFlow's "
        "music tutorial is at tensorflow.org/tutorials/audio/music_generation, and the Deep Learning "
        "Specialization is DeepLearning.AI's, on Coursera.",
        CORRECTED, "12", "notebooks/12_applications_and_ethics.ipynb#The-article's-references,-checked",
        source="Briot, Hadjeres & Pachet 2017, arXiv:1709.01620; TensorFlow tutorial "
               "tensorflow.org/tutorials/audio/music_generation"),
    Correction(
        "§1.4", "Defines a CNN as a network for image processing and recognition.",
        "Convolutional networks fit any data with local structure: audio waveforms (WaveNet), spectrograms "
        "and piano rolls.",
        CORRECTED, "09", "notebooks/09_gans_music_audio.ipynb#5.-WaveNet-is-a-dilated-causal-CNN,-not-an-RNN",
        source="Waibel et al. 1989, IEEE Trans. ASSP 37(3) (time-delay networks on speech); "
               "van den Oord et al. 2016, arXiv:1609.03499"),
)


class ReferenceCheck(NamedTuple):
    """One reference of the article, checked.

    Attributes:
        cited: how the article cites it, paraphrased.
        finding: what checking it found.
        instead: the source to cite instead (a short citation, with its address or identifier).
        arxiv: the arXiv identifier of ``instead``, where it has one (``YYMM.NNNNN``: year and month posted).
        year: the year of ``instead``.
    """

    cited: str
    finding: str
    instead: str
    arxiv: str | None = None
    year: int | None = None


REFERENCES: tuple[ReferenceCheck, ...] = (
    ReferenceCheck(
        "A 2016 paper named MusicRNN, given as the origin of RNN music generation.",
        "No paper of that title could be found. Magenta released a model named Melody RNN in 2016, as code and "
        "a blog post, not a paper. Recurrent networks composed melodies by predicting the next note from 1989 "
        "on; LSTM melodies go back to 2002.",
        "Todd 1989, A connectionist approach to algorithmic composition, Computer Music Journal 13(4); Mozer 1994, "
        "Neural network music composition by prediction (CONCERT), Connection Science 6(2–3); Eck & Schmidhuber "
        "2002, Finding temporal structure in music: blues improvisation with LSTM recurrent networks, IEEE NNSP; "
        "Sturm et al. 2016, Music transcription modelling and composition using deep learning (folk-rnn), "
        "arXiv:1604.08723",
        "1604.08723", 2016),
    ReferenceCheck(
        "A Chinese-language textbook on music signal processing, credited to an author whose name mixes an "
        "English first name with a Chinese transliteration.",
        "No such book or author could be identified.",
        "Müller 2015, Fundamentals of Music Processing (Springer; 2nd edition 2021), with its FMP notebooks "
        "(audiolabs-erlangen.de/FMP)",
        None, 2015),
    ReferenceCheck(
        "A Harvard course on music signal processing.",
        "No such course could be found.",
        "The FMP notebooks, Müller & Zalkow 2019, ISMIR (audiolabs-erlangen.de/FMP): open course material on "
        "music processing in Python",
        None, 2019),
    ReferenceCheck(
        "A music-generation tutorial at an address on deeplearning.net.",
        "The cited page could not be found. The site held the Theano deep-learning tutorials, whose music "
        "chapter generates polyphonic music with an RNN-RBM; Theano is no longer developed.",
        "Boulanger-Lewandowski, Bengio & Vincent 2012, Modeling temporal dependencies in high-dimensional "
        "sequences, ICML, arXiv:1206.6392 (the paper behind that tutorial and behind notebook 07's benchmark)",
        "1206.6392", 2012),
    ReferenceCheck(
        "TensorFlow's music-generation tutorial, at an address among the text tutorials.",
        "The address is wrong: the tutorial is among the audio tutorials.",
        "TensorFlow tutorial Generate music with an RNN, tensorflow.org/tutorials/audio/music_generation (an "
        "LSTM on MIDI notes, as in notebook 06)",
        None, None),
    ReferenceCheck(
        "arXiv 1903.07349, given as a survey of deep learning for music generation.",
        "The identifier could not be matched to a survey of music generation, so the course does not cite it; "
        "the surveys of the field are these two.",
        "Briot, Hadjeres & Pachet 2017, Deep Learning Techniques for Music Generation - A Survey, "
        "arXiv:1709.01620 (a book, Springer 2020); Ji, Luo & Yang 2020, A Comprehensive Survey on Deep Music "
        "Generation, arXiv:2011.06801",
        "1709.01620", 2017),
    ReferenceCheck(
        "Andrew Ng's Deep Learning Specialization, credited to Stanford University.",
        "The specialization is offered by DeepLearning.AI on Coursera; Ng's course at Stanford is CS230.",
        "Deep Learning Specialization, DeepLearning.AI, on Coursera (coursera.org/specializations/deep-learning)",
        None, None),
)
"""The article's references that are wrong or could not be found, checked one by one."""


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
    """The index, optionally only the rows with one status (:data:`CORRECTED`, :data:`CITED`, :data:`SHOWN`,
    :data:`PENDING`).

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
        Markdown text, one row per claim, numbered from 1, with its primary source.
    See: notebooks/00_welcome.ipynb §8.
    """
    prefix = from_dir.strip("/") + "/" if from_dir.strip("/") else ""
    lines = ["| # | the article (section) | correct statement | primary source | status | where |",
             "|---|---|---|---|---|---|"]
    for number, c in enumerate(CORRECTIONS, start=1):
        if c.link:
            target = c.link[len(prefix):] if prefix and c.link.startswith(prefix) else c.link
            label = f"nb{c.notebook} {_section_label(c.link.partition('#')[2])}"
            where = f"[{label}]({target})"
        else:
            where = f"notebook {c.notebook}"
        lines.append(f"| {number} | {c.claim} ({c.section}) | {c.correct} | {c.source} | {STATUS_TEXT[c.status]} "
                     f"| {where} |")
    return "\n".join(lines)


def references_table() -> str:
    """:data:`REFERENCES` as a markdown table: how the article cites each, what checking found, what to cite.

    See: notebooks/12_applications_and_ethics.ipynb §6.
    """
    lines = ["| # | the article cites (paraphrased) | checked | cite instead |", "|---|---|---|---|"]
    for number, r in enumerate(REFERENCES, start=1):
        lines.append(f"| {number} | {r.cited} | {r.finding} | {r.instead} |")
    return "\n".join(lines)


def _section_label(anchor: str) -> str:
    """'4.-The-LSTM-and-its-cell-state' → '§4'; an unnumbered heading → its words."""
    number = re.match(r"(\d+)\.-", anchor)
    return f"§{number.group(1)}" if number else "· " + anchor.replace("-", " ")
