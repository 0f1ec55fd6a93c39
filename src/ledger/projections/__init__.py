"""Read models kept current from the event log.

figures.py    the figures view (one row per figure, tracking in the same transaction)
projector.py  the projector (same code on every store) and its drivers: in-process, worker
rebuild.py    drop and rebuild the view in bulk
as_of.py      figures and explanations as known at a past position or moment
log.py        the log as the policy's facts, page by page
"""
