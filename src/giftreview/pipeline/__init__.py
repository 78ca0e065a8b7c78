"""Running a wave end to end: notebooks under papermill, HTML, PDF, provenance and cache."""

__all__ = []
