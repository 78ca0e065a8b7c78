"""Open answers and free text: codebooks and coding, narrative drafts, institution lists, safety."""

__all__ = []
