"""Command groups of the `casevault` CLI, one module each, registered by casevault.cli."""

from casevault.commands.ingest import import_directory, ocr
from casevault.commands.keys import keys
from casevault.commands.retention import retention
from casevault.commands.storage import storage

COMMAND_GROUPS = [import_directory, keys, ocr, retention, storage]
