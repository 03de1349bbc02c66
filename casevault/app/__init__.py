"""The composition root: the services object built once from settings, the use cases
that span packages, the Celery app and its tasks, beat, and the process supervisor.
The only place that turns settings into parts (``casevault.app.parts``)."""
