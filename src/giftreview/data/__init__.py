"""Reading, validating and cleaning raw exports, and the instrument that drives them."""

__all__ = []
