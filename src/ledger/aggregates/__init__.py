"""The records: one aggregate per file, events nested as past-tense facts with stable topics."""
