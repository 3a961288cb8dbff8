"""CSAF 2.0 documents from elsewhere: import of files, and the hub as a CSAF aggregator or
lister of other providers (CSAF 2.0 section 7)."""
