"""irstlabel.project: the annotation store beside a dataset: masks, review state, registries, prediction cache, export.

Layers, storage and who owns which fact: docs/architecture.md.
"""
