"""The duty room's records: shifts, the handover book, reports."""
