"""Icons and the style sheet; packaged as ``irstlabel.resources`` (see pyproject.toml)."""
