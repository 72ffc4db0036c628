"""Risk analysis of a supply network: what can break, why, and how badly.

One module per concern, each pure (a `SupplyNetwork` in, polars frames or frozen dataclasses
out): producibility and single points of failure, dominators of firm-level networks,
sourcing, exposure by tier and country, staleness of the data, fragility and criticality
scores with their factors, and the US 2018 industrial-base risk archetypes.
"""
