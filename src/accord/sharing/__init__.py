"""Threat sharing: STIX 2.1 objects in TAXII 2.1 collections, TLP 2.0 enforced per object."""
