"""Planning: from a compiled contract, the state and what the providers read, the plan of a run."""
