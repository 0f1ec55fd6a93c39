"""The HTTP API of the assessment ledger: a thin FastAPI layer over the application service."""
