"""irstlabel.jobs: long work as jobs in worker processes: specs, runner, supervisor, the retrain pipeline; no Qt.

Layers, storage and who owns which fact: docs/architecture.md.
"""
