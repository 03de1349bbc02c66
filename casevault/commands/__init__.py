"""Command groups of the `casevault` CLI, one module each, registered by casevault.cli."""

COMMAND_GROUPS: list = []
