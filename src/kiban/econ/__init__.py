"""Economics of a defense program: learning, cost, price, exports and the budget picture.

`learning` gives unit (Crawford) and cumulative-average (Wright) learning curves, computed
exactly or by the lot-midpoint approximation, and fits them to observed lot costs; `pricing`
holds the ministry's cost-plus profit-rate regimes (`profit_rates.csv`, one row per rule);
`program` runs a program's cost model through a scenario of domestic and export orders year
by year; `viability` follows the program's suppliers through that scenario; `budget` reads
the budget picture off the reference data, each figure with its source. docs/economics.md
explains the model, its assumptions and its sources.
"""
