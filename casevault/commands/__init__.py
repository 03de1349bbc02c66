"""Command groups of the `casevault` CLI, one module each, registered by casevault.cli."""

from casevault.commands.keys import keys
from casevault.commands.retention import retention
from casevault.commands.storage import storage

COMMAND_GROUPS = [keys, retention, storage]
