"""Use cases that span packages, one place each; every edge (API, pages, CLI, tasks) calls them.

An edge parses, authorises through these (they apply the access rules), calls, and
shapes the answer. They are reached through the services object
(``services.documents.upload(...)``), so the edges import nothing of the root but
the ``Services`` type.
"""
