"""dlt sources that land raw tracker data in the warehouse."""

from collections.abc import Callable

# A source's progress callback: (items read, seconds elapsed, items expected, or None when the tracker
# cannot say). Called after every page or batch; the caller decides how often to report.
ProgressCallback = Callable[[int, float, int | None], None]
