"""SQL written by contract authors: parsing and checking MySQL expression fragments.

Neutral ground shared by `contract/` (offline lint) and `compile/` (view building); it
imports neither.
"""
