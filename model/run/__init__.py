"""One run and replications, outputs and figures."""
