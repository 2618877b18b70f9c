"""irstlabel: a desktop workbench for infrared small-target segmentation datasets."""

__version__ = "0.1.0"
