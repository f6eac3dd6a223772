"""Receiving inspections from phones: the checklists served, photo and signature checks, validation and storage."""
