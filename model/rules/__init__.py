"""The model's meaning: one module per ODD submodel, formulas and per-person procedures."""
