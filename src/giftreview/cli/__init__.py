"""The ``giftreview`` command line."""

__all__ = []
