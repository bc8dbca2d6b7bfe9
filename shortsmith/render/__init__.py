"""The assembly engine (see command.py)."""

from .command import *  # noqa: F401,F403
from .command import __all__  # noqa: F401
