"""What users get: the wheel, installed into a new virtualenv, in a project made by
``wagtail start``, set up by the README's and the getting started guide's own steps.

Nothing from this checkout is on the installed project's path: the package comes from the
wheel, its dependencies from the package index. The project then runs a real server, and a
browser takes a test payment through the emulator to the Success page, as a new user would.
"""

from __future__ import annotations

import glob
import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.install.steps import Step, steps_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "install"
ADMIN = ("admin", "install-test-password")
TEST_PASSWORDS = ("install-test-one", "install-test-two")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the installed project runs on its own SQLite database: once, in the SQLite run",
    ),
]


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - the test's own commands
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), "."], ROOT)
    (wheel,) = glob.glob(str(out / "*.whl"))
    (sdist,) = glob.glob(str(out / "*.tar.gz"))
    return {"wheel": Path(wheel), "sdist": Path(sdist)}


def package_data() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "wagtail_robokassa"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    data = [name for name in tracked if not name.endswith(".po")]
    assert any(name.endswith(".html") for name in data), "is this a git checkout?"
    return data


def test_twine_accepts_both_distributions(dist):
    out = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.values())], ROOT)
    assert out.count("PASSED") == 2


def test_the_wheel_and_the_sdist_carry_every_file_of_every_subpackage(dist):
    """Templates, static files, translations and migrations of the package and of each
    subpackage (the emulator's included)."""
    in_wheel = set(zipfile.ZipFile(dist["wheel"]).namelist())
    with tarfile.open(dist["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    data = package_data()
    assert [name for name in data if name not in in_wheel] == []
    assert [name for name in data if name not in in_sdist] == []
    assert {"README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml"} <= in_sdist


def test_the_version_lives_in_one_place(dist):
    from wagtail_robokassa import __version__

    assert dist["wheel"].name.startswith(f"wagtail_robokassa-{__version__}-")
    assert dist["sdist"].name == f"wagtail_robokassa-{__version__}.tar.gz"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert __version__ not in pyproject
    assert 'dynamic = ["version"]' in pyproject


class NewProject:
    """A virtualenv with the wheel, and the project ``wagtail start mysite`` makes in it."""

    def __init__(self, where: Path, wheel: Path) -> None:
        self.where = where
        self.wheel = wheel
        self.venv = where / "venv"
        self.project = where / "mysite"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIRTUAL_ENV"}
        }
        self.env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{self.env['PATH']}"
        self.env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        self.server: subprocess.Popen | None = None
        self.port = free_port()
        run([sys.executable, "-m", "venv", str(self.venv)], where)

    def shell(self, command: str) -> str:
        """One command of a ``run`` step, as a user would type it (interactive ones made
        non-interactive, the server started in the background)."""
        if command == "pip install wagtail-robokassa":
            out = run(["pip", "install", "--quiet", str(self.wheel)], self.where, self.env)
            run(["wagtail", "start", "mysite"], self.where, self.env)
            return out
        if command == "python manage.py createsuperuser":
            env = {
                **self.env,
                "DJANGO_SUPERUSER_USERNAME": ADMIN[0],
                "DJANGO_SUPERUSER_PASSWORD": ADMIN[1],
                "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
            }
            return run([*command.split()[:3], "--noinput"], self.project, env)
        if command == "python manage.py runserver":
            self.start_server()
            return ""
        return run(command.split(), self.project, self.env)

    def apply(self, steps: list[Step]) -> None:
        for step in steps:
            if step.action == "run":
                for command in step.commands():
                    self.shell(command)
            else:
                step.apply(self.project)

    def start_server(self) -> None:
        log = (self.where / "server.log").open("w")
        self.server = subprocess.Popen(  # noqa: S603 - the project's own server
            [
                str(self.venv / "bin" / "python"),
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
            ],
            cwd=self.project,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.where / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        pytest.fail("the installed project's server did not start")

    def python(self, code: str) -> str:
        command = ["python", "manage.py", "shell", "--no-imports", "-c", code]
        return run(command, self.project, self.env).strip()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=20)


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    project = NewProject(tmp_path_factory.mktemp("user"), dist["wheel"])
    readme = (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "getting-started.md").read_text()
    install = steps_in(readme, between=("<!-- install:start -->", "<!-- install:end -->"))
    assert [step.action for step in install] == ["run", "append", "insert", "run"]
    project.apply(install)
    project.apply(steps_in(guide))
    assert project.server is not None, "the guide's steps never start the server"
    yield project
    project.stop()


def test_nothing_of_this_checkout_is_on_the_installed_projects_path(installed):
    where = installed.python("import wagtail_robokassa; print(wagtail_robokassa.__file__)")
    assert str(installed.venv) in where
    assert str(ROOT) not in installed.python("import sys; print(sys.path)")


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "installed-project-last.png", full_page=True)
    context.close()


def edit_as_the_guide_says(page, installed) -> None:
    """The guide's "Configure the shop and pay" steps 1 to 3, in the admin."""
    base = installed.url
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/settings/wagtail_robokassa/robokassasettings/")
    page.fill("#id_login", "my-new-shop")
    page.check("#id_test_mode")
    page.fill("#id_test_password1", TEST_PASSWORDS[0])
    page.fill("#id_test_password2", TEST_PASSWORDS[1])
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "/robokassa/result/" in page.content()
    assert page.get_by_text("Stored. Leave blank to keep it.").count() == 2

    page.goto(f"{base}/admin/sites/")
    page.get_by_role("link", name=re.compile("localhost")).first.click()
    page.fill("input[name=port]", str(installed.port))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/admin/sites/")

    home_id = installed.python("from home.models import HomePage; print(HomePage.objects.get().pk)")
    page.goto(f"{base}/admin/pages/{home_id}/edit/")
    page.get_by_role("button", name="Insert a block").first.click()
    description = page.locator("input[name='body-0-value-description']")
    option = page.get_by_role("option", name="Payment button")
    description.or_(option).first.wait_for()
    if option.count():  # a menu of block types; with one type, Wagtail inserts it at once
        option.first.click()
    description.fill("A first test payment")
    page.fill("input[name='body-0-value-amount']", "150.00")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r".*/admin/pages/\d+/"))


def test_a_new_user_takes_a_test_payment_through_the_emulator(browser_page, installed):
    page = browser_page
    edit_as_the_guide_says(page, installed)

    page.goto(f"{installed.url}/")
    page.locator("form.robokassa-pay").get_by_role("button", name="Pay").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    inv_id = int(page.inner_text("[data-testid=inv-id]"))
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/robokassa/success/**")
    assert "your payment has been received" in page.inner_text("body")
    assert f"Payment No. {inv_id}" in page.inner_text("body")

    paid = installed.python(
        f"from wagtail_robokassa.models import Invoice; i = Invoice.objects.get(pk={inv_id}); "
        "print(i.status, i.is_test, i.amount)"
    )
    assert paid == "paid True 150.00"

    for language, words in [
        ("en", ("Latest notifications", "Paid")),
        ("ru", ("Последние уведомления", "Оплачен")),
    ]:
        installed.python(
            "from django.contrib.auth.models import User; from wagtail.users.models import "
            f"UserProfile; p = UserProfile.get_for_user(User.objects.get(username='{ADMIN[0]}'));"
            f" p.preferred_language = '{language}'; p.save()"
        )
        page.goto(f"{installed.url}/admin/")
        dashboard = page.inner_text("main")
        assert words[0] in dashboard
        assert str(inv_id) in dashboard
        response = page.goto(f"{installed.url}/admin/robokassa_payments/inspect/{inv_id}/")
        assert response is not None
        assert response.status == 200
        assert words[1] in page.inner_text("main")
