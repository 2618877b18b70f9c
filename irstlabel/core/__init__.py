"""Pure array code: I/O, dataset layouts, targets, metrics, label quality, curation.

Nothing here imports Qt or torch.
"""
