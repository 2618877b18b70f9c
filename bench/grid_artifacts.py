"""Is there a periodic grid in ISPANet's predictions, and at which scales?

    python bench/grid_artifacts.py [CHECKPOINT ...] [--scales 1 1.5 2 3] [--split test]

The transposed convolutions of MFF have kernel = stride (2, 4 and 8 at stride
4, and 2 between pyramid levels): each output pixel of a cell gets its own
weight, which can print a grid with periods of 8, 16 and 32 input pixels
when a model predicts at a size it was not trained at. For each checkpoint
(default: the starter model) and scale this measures, on SIRST v1 frames:

* grid strength: the probability map (network-input pixels, what the overlay
  draws) high-passed, its power spectrum averaged over frames, and the mean
  power at the harmonics of 1/8, 1/16 and 1/32 cycles per pixel (less those
  of 1/4, which the bilinear x4 of the stride-4 output makes in any model)
  divided by the median power of the nearby frequencies (1 = no grid);
* false alarms: predicted targets matched to no label (d = 2, the
  checkpoint's threshold), and how their centroids fall in a 32-pixel cell
  (the largest share of the 16 phase bins of 8 px; 1/16 = uniform).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets.dataset import Dataset  # noqa: E402
from irstlabel.core.metrics.evaluation import MetricOptions, binarize, match_frame  # noqa: E402
from irstlabel.model.data import normalize_frame  # noqa: E402
from irstlabel.model.inference import InferenceSettings  # noqa: E402
from irstlabel.model.predict import EagerRunner, Predictor  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"
PERIODS = (8, 16, 32)
SIDE = 256  # spectra on a fixed-size centre crop (network-input pixels), so frames average


def _harmonics(n: int) -> list[int]:
    """Harmonics of the deconvolution periods, less the multiples of 1/4 cycle per pixel: the network's
    stride-4 output, upsampled bilinearly, has those whatever its upsampling layers."""
    return sorted({k * n // p for p in PERIODS for k in range(1, p // 2 + 1) if 0 < k * n // p < n // 2}
                  - {k * n // 4 for k in range(1, 3)})


def _line_ratios(spectrum: np.ndarray) -> list[float]:
    """Per harmonic row: its mean power over the median power of the rows two to three beside it."""
    n = spectrum.shape[0]
    half = spectrum[:, : n // 2]
    return [half[f].mean() / max(np.median(np.concatenate([half[max(f - 3, 1): f - 1].ravel(),
                                                          half[f + 2: f + 4].ravel()])), 1e-12)
            for f in _harmonics(n)]


def grid_strength(spectrum: np.ndarray) -> float:
    """Mean ratio over the harmonic rows and columns of the spectrum."""
    return float(np.mean(_line_ratios(spectrum) + _line_ratios(spectrum.T)))


def measure(predictor: Predictor, data: Dataset, ids, scale: float) -> list:
    settings = InferenceSettings(scale=scale, threshold=predictor.threshold)
    runner = EagerRunner(predictor.model, torch.device("cpu"), cpu_amp=True, channels_last=True)
    spectrum, frames, alarms, phases = np.zeros((SIDE, SIDE)), 0, 0, np.zeros(16)
    for frame_id in ids:
        image, mask = data.read_frame(frame_id), data.read_mask(frame_id).mask
        x = normalize_frame(image)
        nh, nw = settings.network_shape(x.shape)
        x = cv2.resize(x, (nw, nh), interpolation=cv2.INTER_LINEAR)
        network_map = expit(runner(np.ascontiguousarray(x, np.float32)[None, None])[0, 0])
        if min(nh, nw) >= SIDE:
            top, left = (nh - SIDE) // 2, (nw - SIDE) // 2
            crop = network_map[top: top + SIDE, left: left + SIDE]
            crop = crop - cv2.GaussianBlur(crop, (0, 0), 6)
            spectrum += np.abs(np.fft.fft2(crop * np.outer(np.hanning(SIDE), np.hanning(SIDE)))) ** 2
            frames += 1
        probability = cv2.resize(network_map, (image.shape[1], image.shape[0]))
        match = match_frame(mask, binarize(probability, settings.threshold), MetricOptions(distance=2.0))
        for index in match.false_alarms:
            x_c, y_c = match.pred.centroid[index]
            alarms += 1
            phases[int((y_c * nh / image.shape[0]) % 32 // 8) * 4 + int((x_c * nw / image.shape[1]) % 32 // 8)] += 1
    strength = grid_strength(spectrum / max(frames, 1)) if frames else float("nan")
    return [scale, frames, strength, alarms, phases.max() / max(phases.sum(), 1) if alarms else float("nan")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", default=[None])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 1.5, 2.0, 3.0])
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"needs the SIRST v1 frames at {REAL}")
    torch.set_num_threads(1)
    data = Dataset.open(str(REAL))
    ids = data.split(args.split)
    for checkpoint in args.checkpoints:
        predictor = Predictor.from_checkpoint(checkpoint, device="cpu", backend="torch")
        rows = [measure(predictor, data, ids, scale) for scale in args.scales]
        print_table(f"Grid in the predictions of {checkpoint or 'the starter model'} on SIRST v1 {args.split} "
                    f"({len(ids)} frames; {machine()})",
                    ["scale", "frames >= 256 px", "grid strength (1 = none)", "false alarms", "largest phase share"],
                    rows)


if __name__ == "__main__":
    main()
