"""The assessment ledger: event-sourced records of staff assessment (Measures of 2009)."""
