"""Command groups of the `casevault` CLI, one module each, registered by casevault.cli."""

from casevault.commands.retention import retention

COMMAND_GROUPS = [retention]
