"""irstlabel.model: ISPANet, its losses, training, checkpoints and the one prediction function; the only layer with torch.

Layers, storage and who owns which fact: docs/architecture.md.
"""
