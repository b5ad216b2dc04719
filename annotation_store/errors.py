"""The store's error type, shared by the store and the bulk importer. Raise ``errors.NotFound`` or
``errors.Conflict`` (or a subclass of both) where that is what went wrong, so interfaces can tell."""

from errors import InvalidInput


class StoreError(InvalidInput):
    """Bad input to the store; the message says what is wrong and where. Nothing was written."""


class WrongSessionKind(StoreError):
    """The session is of the other kind (``kind``: 'pairwise' or 'single'): an interface with one call for
    both (REST's ``POST /sessions/{name}/next``) retries on the right desk without a read of its own."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
