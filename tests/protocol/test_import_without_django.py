import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import sys

    HIDDEN = {"django", "wagtail", "import_export"}

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.partition(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r} (hidden)")
            return None

    sys.meta_path.insert(0, Hide())
    try:
        import django  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit("Django is not hidden")

    import wagtail_robokassa.protocol as protocol

    assert protocol.sign(["demo", "100.00", "12345", "password_1"]) == (
        "3d034693c02f0e1a04bc89f166b2c593"
    )
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in HIDDEN)
    assert not loaded, loaded
    print("imported without Django")
    """
)


def test_protocol_imports_with_django_hidden():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported without Django"
