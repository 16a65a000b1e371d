"""Tests of pgd.fhir: the FHIR R4 read side, the import, and the round trip."""
