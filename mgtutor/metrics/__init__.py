"""Metrics, by family: likelihood, GAN scores, and objective measures of generated music.

Part of mgtutor. Modules:

* :mod:`~mgtutor.metrics.likelihood` — token NLL and frame NLL in NumPy, and :func:`keras_metric` (notebooks 06 §2
  and 07 §2–§5);
* :mod:`~mgtutor.metrics.keras_metrics` — ``TokenNLL`` and ``FrameNLL``, plain Keras metric classes, and
  ``frame_nll_ops``, the frame NLL the piano-roll loss shares (this module imports Keras; it is loaded on first
  use);
* :mod:`~mgtutor.metrics.gan` — mode coverage on the 2-D toy benchmarks (notebook 08 §4), bar metrics, pitch
  accuracy and the Fréchet distance (notebook 09 §2–§4);
* :mod:`~mgtutor.metrics.music` — the mgeval features of a piece, set statistics, KDE, overlap area and KL
  divergence, :func:`compare_sets` and its bootstrap (notebook 11 §1–§4).

Every public name is importable from ``mgtutor.metrics`` directly. Importing it does not import Keras:
``metrics.TokenNLL``, ``metrics.FrameNLL`` and ``metrics.frame_nll_ops`` load :mod:`~mgtutor.metrics.keras_metrics`
on first use (:func:`__getattr__`, PEP 562).
"""

from mgtutor.errors import MetricError
from mgtutor.metrics.gan import (
    BAR_METRICS,
    SCALES,
    TOY_MIN_COUNT,
    TOY_SAMPLES,
    bar_metric_parts,
    bar_metrics,
    bar_polyphony,
    empty_bar_rate,
    estimate_note_pitch,
    frechet_distance,
    frechet_distance_gaussians,
    high_quality_rate,
    in_scale_ratio,
    memoriser_indices,
    mode_counts,
    modes_captured,
    modes_covered,
    nearest_bar_distance,
    nearest_neighbour_rms,
    pitch_accuracy,
    qualified_note_ratio,
    ratio_of_sums,
    roll_notes,
    subsample_interval,
    toy_gan_scores,
    used_pitch_classes,
)
from mgtutor.metrics.likelihood import frame_nll, frame_nll_pieces, keras_metric, sequence_nll, token_nll
from mgtutor.metrics.music import (
    MGEVAL_FEATURES,
    MUSIC_FEATURES,
    NOTE_LENGTH_CLASSES,
    GaussianKDE,
    SetComparison,
    average_ioi,
    average_pitch_interval,
    bootstrap_set_metric,
    compare_sets,
    comparison_pivot,
    empty_beat_rate,
    feature_distance,
    format_comparison,
    inter_set_distances,
    intra_set_distances,
    kl_divergence,
    note_count,
    note_length_class,
    note_length_histogram,
    note_length_transition_matrix,
    overlap_area,
    percentile_interval,
    piece_features,
    pitch_class_histogram,
    pitch_class_transition_matrix,
    pitch_count,
    pitch_range,
    polyphony,
    scale_consistency,
    set_features,
    set_statistics,
)

__all__ = [
    "MetricError", "token_nll", "frame_nll", "frame_nll_pieces", "sequence_nll", "keras_metric",
    "TOY_SAMPLES", "TOY_MIN_COUNT", "mode_counts", "modes_covered", "modes_captured", "high_quality_rate",
    "toy_gan_scores",
    "roll_notes", "empty_bar_rate", "used_pitch_classes", "qualified_note_ratio", "bar_polyphony", "in_scale_ratio",
    "nearest_bar_distance", "bar_metrics", "frechet_distance_gaussians", "frechet_distance", "estimate_note_pitch",
    "pitch_accuracy", "SCALES", "subsample_interval", "memoriser_indices", "nearest_neighbour_rms",
    "BAR_METRICS", "bar_metric_parts", "ratio_of_sums",
    "NOTE_LENGTH_CLASSES", "MGEVAL_FEATURES", "MUSIC_FEATURES", "pitch_count", "pitch_class_histogram",
    "pitch_class_transition_matrix", "pitch_range", "average_pitch_interval", "note_count", "average_ioi",
    "note_length_class", "note_length_histogram", "note_length_transition_matrix", "polyphony", "scale_consistency",
    "empty_beat_rate", "piece_features", "set_features", "set_statistics", "feature_distance", "intra_set_distances",
    "inter_set_distances", "GaussianKDE", "overlap_area", "kl_divergence", "SetComparison", "compare_sets",
    "bootstrap_set_metric", "percentile_interval", "format_comparison", "comparison_pivot",
]


def __getattr__(name: str):
    """``TokenNLL``, ``FrameNLL`` and ``frame_nll_ops``, from the module that imports Keras, on first use."""
    if name in ("TokenNLL", "FrameNLL", "frame_nll_ops"):
        from mgtutor.metrics import keras_metrics

        return getattr(keras_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
