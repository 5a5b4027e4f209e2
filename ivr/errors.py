"""The one error type a user sees: a single line naming the file or flag at fault."""


class IvrError(Exception):
    """A user-facing failure; the CLI prints it on one line and exits non-zero."""
