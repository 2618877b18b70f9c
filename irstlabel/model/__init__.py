"""irstlabel.model (see ../shared/DESIGN.md for this layer's role)."""
