"""Engines: each implements the schedule's phases over the state tables."""
