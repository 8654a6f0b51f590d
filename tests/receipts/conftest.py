from tests.callbacks.conftest import no_secrets_in_logs

__all__ = ["no_secrets_in_logs"]
