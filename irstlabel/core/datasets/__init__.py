"""Datasets on disk: the layouts irstlabel reads and their splits, frame/mask pair sources, folders of
predictions matched to frame ids (and the 8-bit levels every score reads), the layouts' box and centroid XML,
statistics (Table V), and synthetic frames."""
