"""The SHR-IRST curation steps: de-duplication, sampling, merging datasets and group-preserving splits."""
