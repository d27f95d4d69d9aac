"""Composing each generation's training set, for every strategy."""
