"""The fault suite (issue 19): `make faults`, see run.py."""
