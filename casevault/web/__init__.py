"""The web pages: server-rendered HTML (Jinja2, GOV.UK Frontend) over the same use cases
and access rules as the API, working without JavaScript. An edge like ``api``: of the
composition root it imports only the ``Services`` type."""
