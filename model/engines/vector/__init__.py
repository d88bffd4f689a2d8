"""The vectorised engine: the rules' procedures in compiled loops."""
