"""Backups of the embedded default and replaying destructions into a restored database.

Imports core, archive and retention; the composition root (``app``) uses it.
"""
