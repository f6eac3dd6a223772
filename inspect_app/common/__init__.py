"""The pure layer every floor shares: the users' vocabulary, the clock and reporting periods.

Nothing here does I/O or imports Flask, sqlite-utils or another part of the package, so
storage, the capability folders and the web layer can all use it.
"""
