"""Datasets on disk: the layouts irstlabel reads, their splits, frame/mask pair sources, statistics (Table V), and synthetic frames."""
