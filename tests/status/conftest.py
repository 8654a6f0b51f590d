from tests.callbacks.conftest import no_secrets_in_logs, pytest_generate_tests, write_path

__all__ = ["no_secrets_in_logs", "pytest_generate_tests", "write_path"]
