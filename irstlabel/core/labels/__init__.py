"""Targets and their labels: connected components, per-target records with ids, LPD and SCR, editing operations, Canny proposals, label comparison (Table IV)."""
