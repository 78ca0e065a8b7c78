"""Scores, statistics, weights, disclosure control, reliability and wave comparison."""

__all__ = []
