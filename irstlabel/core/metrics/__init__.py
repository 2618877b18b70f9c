"""The paper's metrics: pixel-level IoU/nIoU, target-level Pd, Md, Pa, Fa, F1-T, their matching and the region-by-region fast path."""
