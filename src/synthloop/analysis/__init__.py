"""Tables, regressions and theory toys over what the scorers measured."""
