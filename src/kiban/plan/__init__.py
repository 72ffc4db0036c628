"""Mitigation planning: the actions a budget should buy, and the risk they remove."""
