"""The store's error type, shared by the store and the bulk importer. Raise ``errors.NotFound`` or
``errors.Conflict`` (or a subclass of both) where that is what went wrong, so interfaces can tell."""

from errors import InvalidInput


class StoreError(InvalidInput):
    """Bad input to the store; the message says what is wrong and where. Nothing was written."""
