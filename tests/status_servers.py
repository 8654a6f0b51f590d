"""ROBOKASSA's status interface for tests: the emulator's, over HTTP on the live server, or a
local server that misbehaves as a test tells it to (fixtures ``emulator`` and ``misbehaving``,
shared through ``tests/conftest.py``)."""

import http.server
import socket
import threading
import time
import urllib.parse

import pytest

from wagtail_robokassa.services.config import get_config

OPSTATE = "/emulator/Merchant/WebService/Service.asmx/OpStateExt"


@pytest.fixture
def emulator(settings, live_server, transactional_db):
    """ROBOKASSA's status interface played by the emulator, over HTTP on the live server."""
    settings.ROBOKASSA_EMULATOR_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_STATUS_URL = live_server.url + OPSTATE
    return get_config()


PAID_XML = (
    b'<?xml version="1.0" encoding="utf-8"?><OperationStateResponse '
    b'xmlns="http://merchant.roboxchange.com/WebService/"><Result><Code>0</Code></Result>'
    b"<State><Code>100</Code></State></OperationStateResponse>"
)


class Seen(list):
    """The requests a server received, as form fields; ``raw``: their bodies as text."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[str] = []


class Misbehaving(http.server.BaseHTTPRequestHandler):
    #: What to answer, one entry per request: (status, body), (status, body, headers) or
    #: ("sleep", seconds).
    script: list
    seen: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.seen.raw.append(body)
        self.seen.append(dict(urllib.parse.parse_qsl(body)))
        status, body, *headers = self.script[min(len(self.seen), len(self.script)) - 1]
        if status == "sleep":
            time.sleep(body)
            status, body = 200, PAID_XML
        self.send_response(status)
        for name, value in (headers[0] if headers else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def misbehaving(settings):
    def serve(*script):
        handler = type("Handler", (Misbehaving,), {"script": list(script), "seen": Seen()})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.ROBOKASSA_STATUS_URL = f"http://127.0.0.1:{server.server_port}/OpStateExt"
        settings.ROBOKASSA_REFUND_URL = f"http://127.0.0.1:{server.server_port}/RefundService"
        settings.ROBOKASSA_FISCAL_URL = f"http://127.0.0.1:{server.server_port}/RoboFiscal"
        settings.ROBOKASSA_INVOICE_API_URL = (
            f"http://127.0.0.1:{server.server_port}/InvoiceServiceWebApi/api"
        )
        return handler.seen

    servers = []
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PASSWORD3 = "refund-password-3"


@pytest.fixture
def refund_service(emulator, settings, live_server):
    """ROBOKASSA's Refund API and status interface, played by the emulator over HTTP."""
    settings.ROBOKASSA_PASSWORD3 = PASSWORD3
    settings.ROBOKASSA_REFUND_URL = live_server.url + "/emulator/RefundService"
    return emulator


@pytest.fixture
def fiscal_service(emulator, settings, live_server):
    """ROBOKASSA's RoboFiscal (the final receipt), played by the emulator over HTTP."""
    settings.ROBOKASSA_FISCAL_URL = live_server.url + "/emulator/RoboFiscal"
    return emulator
