"""What a report shows: sections as view models, plots, and the comparison report."""

__all__ = []
