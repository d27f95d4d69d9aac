"""The scorer registry and the scorers: per-text and per-set measures of a text set."""
