"""Studies 1 and 2: chains of generations of a language model (kind: text_loop)."""
