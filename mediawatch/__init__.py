"""mediawatch — reads the Persian press for Rasht municipality's media committee.

This small package is the shared kernel: settings, the records stages exchange, time helpers.
The stages live in the top-level packages scrapers/, nlp/, storage/, digests/ and flows/.
"""
