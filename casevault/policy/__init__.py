"""Subject access requests: the legal clock, who may receive what (by ``core.release``),
redaction, and the bundle. Pure rules plus services; imports core, archive, ingest and
retention (for the hold), never the composition root."""
