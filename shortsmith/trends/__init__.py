"""Trending topics (see scoring.py)."""

from .scoring import *  # noqa: F401,F403
