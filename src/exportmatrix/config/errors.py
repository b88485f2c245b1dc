"""The one error of configuration: a problem worded for the user."""


class ConfigError(Exception):
    """A matrix.toml or command-line problem, worded for the user: one line
    naming where, the value and what was expected."""
