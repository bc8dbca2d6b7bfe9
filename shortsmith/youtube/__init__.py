"""Publishing to YouTube (see upload.py)."""

from .upload import *  # noqa: F401,F403
from .upload import STATS_BATCH, __all__  # noqa: F401
