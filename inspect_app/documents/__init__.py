"""Signed documents: rendering (WeasyPrint), signing and verification (pyHanko), QR codes,
and issuing an inspection's report and notice, in the background worker.

``render``, ``signing``, ``qr`` and ``fonts`` are a library with no Flask and no database:
callers pass plain dicts and get bytes back. Import the submodule you need; this package
imports nothing, so that loading one part never pulls in the PDF stack.
"""
