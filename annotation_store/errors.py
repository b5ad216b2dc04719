"""The store's one error type, shared by the store and the bulk importer."""


class StoreError(ValueError):
    """Bad input to the store; the message says what is wrong and where. Nothing was written."""
