"""Voice synthesis (being split out of alignment.py)."""

from .alignment import *  # noqa: F401,F403
