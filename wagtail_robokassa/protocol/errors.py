"""Exceptions raised by the protocol core."""


class ProtocolError(ValueError):
    """Base class: a value does not fit the ROBOKASSA protocol."""


class UnsupportedAlgorithm(ProtocolError):
    """The hash algorithm is unknown, or this Python's OpenSSL cannot compute it."""


class ReceiptError(ProtocolError):
    """A fiscal receipt (54-FZ ``Receipt``) is invalid."""


class MalformedCallback(ProtocolError):
    """A Result/Success/Fail request from ROBOKASSA cannot be understood.

    ``code`` is a short machine-readable word (for filtering and statistics); ``reason`` is a
    sentence for people. Neither ever contains a password or an expected signature.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class OpStateError(ProtocolError):
    """An OpStateExt answer is not the XML ROBOKASSA documents."""
