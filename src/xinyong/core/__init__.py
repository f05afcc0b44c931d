"""The pure domain core: codes, records, schemes, scoring, lists, sanctions. No I/O here."""
