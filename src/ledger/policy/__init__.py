"""The rules of the Measures as pure functions of plain records and a versioned policy.

No I/O, no clock, no database, no library event classes: the standalone verifier uses it too.
"""
