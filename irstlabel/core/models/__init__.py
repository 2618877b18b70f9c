"""Facts about saved models that need no torch: where the starter lies, and the one reader of a model file's header."""
