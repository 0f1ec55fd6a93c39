"""Read models kept current from the event log (filled by the rules issue)."""
