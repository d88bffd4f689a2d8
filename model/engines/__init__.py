"""Engines: each implements the schedule's phases over the state tables.

Importing this package registers them with :class:`~model.core.economy.CareEconomy` by name:
``"vector"`` (default; compiled passes over whole columns) and ``"agents"`` (the per-agent
reference, one Mesa agent at a time).
"""

from model.core.economy import CareEconomy, register_engine
from model.engines.reference import ReferenceEngine
from model.engines.vector.engine import VectorEngine

register_engine("vector", VectorEngine)
register_engine("agents", ReferenceEngine)

__all__ = ["CareEconomy", "ReferenceEngine", "VectorEngine"]
