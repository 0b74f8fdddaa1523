"""A Chinese–English glossary of the course's core terms.

Part of mgtutor. Shown as a table in notebooks/00_welcome.ipynb §6, for readers who arrive from
Chinese-language material. Each entry names the notebook that explains the term; a word with two
meanings in the course (采样, 量化) has one row per meaning. Other common names for a term are kept
as ``aliases`` (e.g. 长短期记忆网络 beside 长短时记忆网络), so a lookup accepts them too.
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    """One glossary row: Chinese term, English term, a one-line meaning, the notebook that teaches it,
    and other names (Chinese or English) that mean the same thing."""

    zh: str
    en: str
    meaning: str
    notebook: str
    aliases: tuple[str, ...] = ()


GLOSSARY: tuple[Term, ...] = (
    Term("音频信号", "audio signal", "air pressure over time, stored as samples x[n]", "01"),
    Term("采样", "sampling", "of a signal: measuring it every 1/sr seconds", "01"),
    Term("采样率", "sample rate", "samples per second, sr (Hz)", "01"),
    Term("奈奎斯特频率", "Nyquist frequency", "sr/2, the highest frequency a sampled signal can hold", "01"),
    Term("混叠", "aliasing", "a frequency above sr/2 folding back to a lower one", "01"),
    Term("量化", "quantisation",
         "of amplitude: rounding samples to 2^bits levels; for a full-scale sine SNR ≈ 6.02·bits + 1.76 dB", "01"),
    Term("时域", "time domain", "a signal described by its samples over time; RMS and zero-crossing rate live here",
         "01"),
    Term("频域", "frequency domain", "a signal described by its frequency components (the DFT of a frame)", "02"),
    Term("时频表示", "time–frequency representation",
         "frequency content frame by frame, e.g. the STFT magnitude or a (log-)mel spectrogram", "02",
         ("time-frequency representation",)),
    Term("帧", "frame", "a short stretch of samples (e.g. 2048) analysed as one unit", "02"),
    Term("帧移", "hop", "the number of samples between the starts of consecutive frames (hop_length)", "02",
         ("hop length", "hop size")),
    Term("声谱图", "spectrogram", "magnitude of the STFT: frequency content over time", "02",
         ("谱图", "频谱图", "语谱图")),
    Term("短时傅里叶变换", "short-time Fourier transform (STFT)", "DFTs of overlapping windowed frames", "02"),
    Term("窗函数", "window function", "a taper (e.g. Hann) applied to each frame before the DFT", "02"),
    Term("梅尔刻度", "mel scale", "a pitch-perception scale, roughly linear below 1 kHz, log above", "03",
         ("梅尔标度",)),
    Term("梅尔滤波器组", "mel filterbank", "triangular filters spaced evenly on the mel scale", "03"),
    Term("倒谱", "cepstrum", "a transform of the log spectrum (DCT or inverse DFT); its axis is quefrency", "03"),
    Term("梅尔频率倒谱系数", "mel-frequency cepstral coefficients (MFCC)",
         "DCT of the log mel-band energies of each frame", "03"),
    Term("离散余弦变换", "discrete cosine transform (DCT)", "the last step of MFCC, decorrelates log-mel bands", "03"),
    Term("乐器数字接口", "MIDI", "a symbolic format of note-on/note-off events, not audio", "04",
         ("Musical Instrument Digital Interface",)),
    Term("钢琴卷帘", "piano roll", "a (time × 88 keys) matrix marking which keys sound", "04"),
    Term("移调", "transposition", "shifting every pitch by the same number of semitones", "04"),
    Term("量化", "quantisation", "of timing: snapping note onsets and durations to a grid (e.g. sixteenths)", "04"),
    Term("词元", "token", "one symbol of an encoded sequence, e.g. a pitch, a hold '_' or a rest 'r'", "04",
         ("标记",)),
    Term("数据泄漏", "data leakage",
         "test material (or a copy of it) reaching training, so the score overstates the model", "04",
         ("数据泄露",)),
    Term("循环神经网络", "recurrent neural network (RNN)", "a network whose state h_t carries the past", "05"),
    Term("隐藏状态", "hidden state", "h_t, the vector an RNN passes from one step to the next", "05"),
    Term("长短时记忆网络", "long short-term memory (LSTM)",
         "an RNN with a gated cell state c_t that carries information over long gaps", "05",
         ("长短期记忆网络",)),
    Term("细胞状态", "cell state", "c_t, the LSTM's memory, changed only by element-wise gating", "05",
         ("记忆单元",)),
    Term("遗忘门", "forget gate", "f_t in (0, 1): how much of c_{t-1} the LSTM keeps", "05"),
    Term("输入门", "input gate", "i_t in (0, 1): how much of the candidate g_t the LSTM writes into c_t", "05"),
    Term("输出门", "output gate", "o_t in (0, 1): how much of tanh(c_t) the LSTM shows as h_t", "05"),
    Term("门控循环单元", "gated recurrent unit (GRU)", "an RNN with update and reset gates, no separate cell", "05"),
    Term("梯度消失", "vanishing gradient", "gradients shrinking exponentially with time distance", "05"),
    Term("嵌入", "embedding", "a learned vector for each token id, the first layer of a sequence model", "06"),
    Term("交叉熵", "cross-entropy", "−Σ y log p: the loss of a next-token classifier (= NLL of the target)", "06"),
    Term("采样", "sampling", "from a distribution: drawing the next token at random with the model's probabilities",
         "06"),
    Term("温度采样", "temperature sampling", "sampling from softmax(logits / T)", "06"),
    Term("核采样", "nucleus (top-p) sampling",
         "sampling only from the smallest set of tokens whose probabilities add up to p", "06",
         ("top-p sampling",)),
    Term("困惑度", "perplexity", "exp(mean NLL per token): as unsure as a uniform choice among that many tokens", "06"),
    Term("基线", "baseline",
         "a simple model (n-grams; Bernoulli or Markov keys) scored the same way: the number to beat", "06"),
    Term("负对数似然", "negative log-likelihood (NLL)", "−log p(data); the loss and the benchmark metric", "07"),
    Term("复音", "polyphony", "several notes sounding at once: a piano-roll frame is then a set of keys", "07",
         ("多声部", "polyphonic")),
    Term("帧负对数似然", "frame NLL",
         "−log p(frame | the frames before) in nats, summed over the 88 keys, averaged over frames", "07",
         ("frame negative log-likelihood",)),
    Term("自回归", "autoregressive", "predicting each element from the ones before it: next token, frame or key",
         "07"),
    Term("神经自回归分布估计器", "neural autoregressive distribution estimator (NADE)",
         "a model of a binary vector as a product of conditionals p(y_j | y_<j), with one shared hidden layer", "07"),
    Term("祖先采样", "ancestral sampling",
         "drawing each variable in turn from its conditional given those already drawn", "07"),
    Term("生成对抗网络", "generative adversarial network (GAN)",
         "a generator and a discriminator trained against each other", "08"),
    Term("生成器", "generator", "the GAN network that maps noise to samples", "08"),
    Term("判别器", "discriminator", "the GAN network that tells real from generated samples", "08"),
    Term("模式崩溃", "mode collapse", "a generator producing only a few kinds of output", "08", ("模式坍塌",)),
    Term("极小极大博弈", "minimax game",
         "min over G, max over D of V(D, G) = E_p[log D(x)] + E_q[log(1 − D(x))]: the GAN objective", "08",
         ("minimax",)),
    Term("最优判别器", "optimal discriminator", "for a fixed generator, D*(x) = p(x) / (p(x) + q(x))", "08"),
    Term("詹森-香农散度", "Jensen–Shannon divergence (JSD)",
         "½KL(p‖m) + ½KL(q‖m) with m = (p + q)/2; against D* the generator minimises 2·JSD − log 4", "08",
         ("JS散度", "Jensen-Shannon divergence")),
    Term("非饱和损失", "non-saturating loss",
         "the generator loss −log D(G(z)), whose gradient stays large when D rejects the fakes", "08"),
    Term("评论家", "critic", "a WGAN's discriminator: an unbounded score kept close to 1-Lipschitz", "08",
         ("评判器",)),
    Term("梯度惩罚", "gradient penalty (WGAN-GP)",
         "λ·E[(‖∇c(x̂)‖₂ − 1)²] at points x̂ between real and generated samples", "08"),
    Term("打包", "packing (PacGAN)", "the discriminator judges m samples at once, all real or all generated", "08"),
    Term("模式覆盖", "modes covered",
         "of a 2-D benchmark: modes with at least 20 of 2,500 samples within 3σ of their mean", "08"),
    Term("小节片段", "bar fragment",
         "a one-bar piano roll, 16 sixteenth steps × 56 keys: what the bar GAN generates", "09"),
    Term("空小节率", "empty-bar rate", "the share of generated bars with no note at all", "09"),
    Term("音级", "pitch class", "a pitch up to octaves: MIDI number mod 12 (C4 and C5 are both C)", "09"),
    Term("合格音符比例", "qualified-note ratio",
         "the share of notes lasting at least a stated minimum (here 3 sixteenths); fragments fail it", "09"),
    Term("调内音比例", "in-scale ratio", "the share of sounding steps in the bar's best-fitting scale", "09",
         ("scale consistency",)),
    Term("弗雷歇距离", "Fréchet distance (FD)",
         "‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2(Σ1Σ2)^½) between Gaussians fitted to two feature sets (FID uses it)", "09",
         ("Frechet distance",)),
    Term("音高准确率", "pitch accuracy",
         "the share of generated notes whose estimated f0 lies within ±50 cents of the asked pitch", "09"),
    Term("投影判别器", "projection discriminator",
         "a conditional critic scoring w·h(x) + e(y)·h(x): the label enters as an inner product", "09"),
    Term("空洞因果卷积", "dilated causal convolution",
         "a convolution that sees only past inputs, with gaps (dilation) between its taps: WaveNet's layer", "09",
         ("扩张因果卷积",)),
    Term("感受野", "receptive field",
         "the input steps one output depends on: 2^L for L causal layers of kernel 2 with doubling dilation", "09"),
    Term("潜空间插值", "latent interpolation",
         "generating from noise vectors on a path between two points of the latent space (slerp)", "09"),
    Term("客观评价指标", "objective metric",
         "a number computed from the music itself (histograms, ranges, intervals), no listener needed", "11",
         ("客观指标",)),
    Term("音级直方图", "pitch-class histogram", "the share of notes on each of the 12 pitch classes C … B", "11"),
    Term("音级转移矩阵", "pitch-class transition matrix",
         "the share of consecutive note pairs going from pitch class a to pitch class b (12 × 12)", "11"),
    Term("起音间隔", "inter-onset interval (IOI)", "the time from one note onset to the next", "11"),
    Term("集内距离", "intra-set distance", "the distance between a feature of two pieces of one set", "11"),
    Term("集间距离", "inter-set distance", "the distance between a feature of a piece of one set and one of another",
         "11"),
    Term("核密度估计", "kernel density estimate (KDE)",
         "a smooth density: a small Gaussian bump on every sample, averaged", "11"),
    Term("重叠面积", "overlap area (OA)", "∫ min(p, q): 1 for one distribution, 0 for two that never meet", "11"),
    Term("KL散度", "Kullback–Leibler divergence", "∫ p log(p/q): how badly q stands in for p (not symmetric)", "11",
         ("相对熵", "KL divergence")),
    Term("均方误差", "mean squared error (MSE)", "the mean of (prediction − target)²; rewards averages, not music",
         "11"),
    Term("复制检测", "copying check",
         "searching the training data for long stretches a generated piece repeats (in any key)", "11",
         ("抄袭检测", "memorisation check")),
    Term("后缀自动机", "suffix automaton",
         "the smallest automaton accepting every substring of a text: finds longest common substrings in linear "
         "time", "11"),
    Term("假阳性率", "false-positive rate", "the share of innocent cases a test flags", "11"),
    Term("ABX测试", "ABX test", "a listener hears A, B and X (one of them) and says which X is: can they tell?", "11"),
    Term("平均意见得分", "mean opinion score (MOS)", "the mean of listeners' ratings on a fixed scale, e.g. 1–5", "11"),
    Term("盲测", "blind test", "a listening test in which listeners do not know which system made which clip", "11"),
    Term("统计功效", "statistical power", "the probability that a test detects an effect of a given size", "11"),
    Term("二项检验", "binomial test", "an exact test of k successes in n trials against a success rate, e.g. 1/2",
         "11"),
    Term("置信区间", "confidence interval",
         "an interval built so that it covers the true value in a stated share (e.g. 95 %) of repetitions", "11"),
    Term("过拟合", "overfitting",
         "training loss still falling while validation loss rises: the model learns its training pieces", "10"),
    Term("泛化差距", "generalisation gap", "validation loss minus training loss, read from the learning curves",
         "10", ("generalization gap",)),
    Term("检查点", "checkpoint",
         "the weights and optimizer state saved during training, so a run can resume or keep its best epoch",
         "10"),
    Term("早停", "early stopping", "stopping after `patience` epochs without a better validation loss", "10"),
    Term("学习率调度", "learning-rate schedule", "the learning rate as a function of the epoch or step", "10",
         ("learning rate schedule",)),
    Term("混合精度", "mixed precision",
         "computing in float16 (or bfloat16) while keeping float32 weights and outputs", "10"),
    Term("损失缩放", "loss scaling",
         "multiplying the loss before backpropagation so float16 gradients do not underflow, then dividing back",
         "10"),
    Term("数据并行", "data parallelism",
         "copies of the model on several devices, each on part of every batch, gradients summed (all-reduce)", "10"),
    Term("全局批量", "global batch size", "the examples one synchronous step sees over all devices: b × replicas",
         "10", ("全局批大小",)),
    Term("线性缩放规则", "linear scaling rule",
         "multiply the learning rate by k when the global batch grows k-fold", "10"),
    Term("训练数据", "training data", "the pieces a model learns from; its output may repeat them", "12"),
    Term("版权", "copyright",
         "the exclusive right to copy and adapt an original work; whether generated music has one depends on the "
         "jurisdiction", "12"),
    Term("许可证", "licence", "the terms under which a dataset or program may be used, shared and adapted", "12",
         ("许可协议", "license")),
    Term("知识共享许可", "Creative Commons licence (CC)",
         "standard licences built from conditions: BY attribution, NC non-commercial, SA share-alike", "12",
         ("CC许可", "Creative Commons license")),
    Term("署名", "attribution", "naming the creator and the source of what you use (the BY condition)", "12"),
    Term("非商业性使用", "non-commercial (NC)", "a licence condition: no use aimed at commercial advantage or payment",
         "12", ("非商业",)),
    Term("相同方式共享", "share-alike (SA)", "a licence condition: adaptations are shared under the same licence",
         "12"),
    Term("公有领域", "public domain", "works no one holds copyright in, free to use (e.g. Bach's chorales as music)",
         "12"),
    Term("披露", "disclosure",
         "saying that a piece was made by a model, which model and from which data: in words and in the file",
         "12", ("标识", "AI-generated content labelling")),
    Term("显式标识", "explicit label", "a notice of AI generation that a listener or reader perceives (words, a voice)",
         "12"),
    Term("隐式标识", "implicit label",
         "a mark of AI generation written into the file's data, e.g. a MIDI text event; easy to strip", "12"),
    Term("挂钟时间", "wall-clock time", "the time a clock shows passing from start to end", "12",
         ("wall time",)),
    Term("CPU时间", "CPU time", "the time processors spend on a program, summed over cores: at most cores × wall time",
         "12"),
    Term("千瓦时", "kilowatt-hour (kWh)", "1000 W for one hour = 3.6 MJ; energy E = P · t", "12", ("度",)),
    Term("电能使用效率", "power usage effectiveness (PUE)",
         "a data centre's total power over its computers' power (≥ 1): cooling and losses on top", "12"),
)


def spellings(term: Term) -> set[str]:
    """Every accepted way to write ``term``, lower-cased: Chinese, English, abbreviation, aliases.

    ``short-time Fourier transform (STFT)`` gives the whole, ``short-time fourier transform`` and ``stft``.
    """
    full, _, abbreviation = term.en.partition(" (")
    names = {term.zh, term.en, full, abbreviation.rstrip(")"), *term.aliases}
    return {name.strip().lower() for name in names} - {""}


def senses(word: str) -> tuple[Term, ...]:
    """The glossary rows a word names (two for 采样 and 量化), found by any of its :func:`spellings`.

    Raises:
        KeyError: the word is not in the glossary (the message lists a few that are).
    """
    key = word.strip().lower()
    found = tuple(t for t in GLOSSARY if key in spellings(t))
    if not found:
        examples = ", ".join(t.zh for t in GLOSSARY[:4])
        raise KeyError(f"{word!r} is not in the course glossary (e.g. {examples})")
    return found


def english_for(zh: str) -> str:
    """Return the English term for a Chinese one (its usual name or an alias such as 长短期记忆网络).

    Raises:
        KeyError: the term is not in the glossary (the message lists a few that are).
    """
    return senses(zh)[0].en


def glossary_html() -> str:
    """The glossary as an HTML table (deterministic, for notebooks/00_welcome.ipynb §6).

    Aliases are shown after the Chinese term ("also …").
    """
    from html import escape

    def zh_cell(t: Term) -> str:
        also = "; ".join(escape(a) for a in t.aliases)
        return escape(t.zh) + (f"<br><small>also {also}</small>" if also else "")

    rows = "".join(
        f"<tr><td>{zh_cell(t)}</td><td>{escape(t.en)}</td><td>{escape(t.meaning)}</td><td>{t.notebook}</td></tr>"
        for t in GLOSSARY
    )
    head = "<tr><th>中文</th><th>English</th><th>meaning</th><th>notebook</th></tr>"
    return f'<table class="mgtutor-glossary">{head}{rows}</table>'
