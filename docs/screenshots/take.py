"""Take the README's and the documentation's screenshots from a running sandbox (``make demo``
in another terminal):

    .venv/bin/python docs/screenshots/take.py [http://127.0.0.1:8000]

Pays once and declines once through the emulator, then saves each page in English and in
Russian, at a desktop width and at a phone's (390 px), as ``<page>-<language>-<width>.png``
next to this file. Needs Chromium (Debian's ``chromium``) and Playwright.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from wagtail_robokassa.protocol import result_signature

HERE = Path(__file__).resolve().parent
WIDTHS = {"desktop": 1280, "phone": 390}
ADMIN = ("admin", "robokassa-demo")
#: Seconds of ``ROBOKASSA_PAY_RATE_LIMIT``'s window (10 new payments a client).
PAY_RATE_WINDOW = 61


def pay(page: Page, base: str, button: str) -> None:
    page.goto(base + "/")
    form = page.locator("form.robokassa-pay").first
    form.locator("input[name=email]").fill("buyer@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    page.locator(f"button.{button}").click()
    page.wait_for_load_state()


def pay_without_notifying(page: Page, base: str) -> str:
    """A payment whose notification is lost; returns its InvId."""
    page.goto(base + "/")
    form = page.locator("form.robokassa-pay").first
    form.locator("input[name=email]").fill("buyer@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    inv_id = page.inner_text("[data-testid=inv-id]")
    page.locator("button.quiet").click()
    page.wait_for_load_state()
    return inv_id


def refund_part(page: Page, base: str, inv_id: str, amount: str = "300.00") -> None:
    """Up to the confirmation of a compensation of ``amount`` on payment ``inv_id``'s one
    receipt line."""
    page.goto(f"{base}/admin/robokassa_payments/refund/{inv_id}/")
    page.fill("input[name=amount]", amount)
    if page.locator("input[name=line_0]").count():
        page.fill("input[name=line_0]", "1")
        page.fill("input[name=line_0_sum]", amount)
    page.fill("input[name=reason]", "Damaged in delivery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def refund_with_answer_lost(page: Page, base: str, inv_id: str) -> None:
    """A 100.00 refund that the emulator takes but whose answer is lost: its outcome is
    unknown, and the payment's page offers to settle it from the cabinet."""
    switch_refunds(page, base, "answer_lost")
    try:
        refund_part(page, base, inv_id, "100.00")
        page.get_by_role("button", name=re.compile("Confirm|Подтвердить")).click()
        page.wait_for_load_state()
        page.wait_for_timeout(800)
    finally:
        switch_refunds(page, base, "finished")


def switch_refunds(page: Page, base: str, outcome: str) -> None:
    """How the emulator's refunds end, set on its switches page."""
    page.goto(base + "/emulator/status-interface/")
    page.check(f"input[name=refund_outcome][value={outcome}]")
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_load_state()


def pay_prepaid(page: Page, base: str) -> str:
    """A pre-order (its receipt says "full prepayment"); returns its InvId."""
    page.goto(base + "/")
    form = page.locator("form.robokassa-pay").nth(2)
    form.locator("input[name=email]").fill("reader@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    inv_id = page.inner_text("[data-testid=inv-id]")
    page.locator("button.pay").click()
    page.wait_for_url("**/robokassa/success/**")
    return inv_id


def refuse_with_another_algorithm(page: Page, base: str) -> None:
    """Three test notifications signed with MD5 while the sandbox shop uses SHA256 (its
    demonstration test Password #2, from ``seed_sandbox``)."""
    for inv_id in ("900001", "900002", "900003"):
        signature = result_signature("100.000000", inv_id, "demo-test-2", algorithm="md5")
        page.request.post(
            base + "/robokassa/result/",
            form={
                "OutSum": "100.000000",
                "InvId": inv_id,
                "IsTest": "1",
                "SignatureValue": signature,
            },
        )


def make_link(page: Page, base: str, language: str) -> str:
    """A payment link made in the admin; returns its page's address."""
    page.goto(f"{base}/admin/robokassa_links/new/")
    russian = language == "ru"
    page.fill(
        "input[name=description]", "Консультация, 2 часа" if russian else "Consultation, 2 hours"
    )
    page.fill("input[name=amount]", "4500,00" if russian else "4500.00")
    page.fill("input[name=customer_name]", "Анна Петрова" if russian else "Anna Petrova")
    page.fill("input[name=customer_email]", "anna@example.com")
    page.fill("input[name=comment]", "по телефону" if russian else "agreed by phone")
    return page.url


def subscribe(page: Page, base: str) -> None:
    """The subscription block: e-mail, consent, Subscribe, then Pay on the emulator's page."""
    page.goto(base + "/")
    form = page.locator("form.robokassa-pay", has=page.locator("input[name=agree]")).first
    form.locator("input[name=email]").fill("buyer@example.com")
    form.locator("input[name=agree]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    page.locator("button.pay").click()
    page.wait_for_url("**/robokassa/success/**")


def hold(page: Page, base: str) -> None:
    """The block that holds: e-mail, then Hold on the emulator's page."""
    page.goto(base + "/")
    form = page.locator("form.robokassa-pay", has=page.get_by_text(re.compile("Прокат"))).first
    form.locator("input[name=email]").fill("rider@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        for language in ("en", "ru"):
            for width_name, width in WIDTHS.items():
                if (language, width_name) != ("en", next(iter(WIDTHS))):
                    time.sleep(PAY_RATE_WINDOW)  # the sandbox's rate limit on new payments
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale=language
                )
                page = context.new_page()

                def shot(name: str, page: Page = page, suffix: str = f"{language}-{width_name}"):
                    page.screenshot(path=HERE / f"{name}-{suffix}.png", full_page=True)

                page.goto(base + "/")
                shot("payment-buttons")
                pay(page, base, "decline")
                shot("fail-page")
                page.goto(base + "/")
                form = page.locator("form.robokassa-pay").first
                form.locator("input[name=email]").fill("buyer@example.com")
                form.locator("button[type=submit]").click()
                page.wait_for_url("**/emulator/Merchant/Index.aspx")
                shot("emulator")
                page.locator("button.pay").click()
                page.wait_for_url("**/robokassa/success/**")
                shot("success-page")

                page.goto(base + "/admin/login/")
                page.fill("#id_username", ADMIN[0])
                page.fill("#id_password", ADMIN[1])
                page.click("button[type=submit]")
                page.wait_for_url(re.compile(r".*/admin/$"))
                shot("dashboard")
                page.goto(base + "/admin/robokassa_overview/")
                shot("overview")
                page.goto(base + "/admin/robokassa_payments/")
                shot("payments")
                paid = page.locator(
                    "main table.listing tbody tr", has=page.locator(".w-status--primary")
                )
                inspect = paid.first.locator("a[href*='/inspect/']").first.get_attribute("href")
                page.goto(base + inspect)
                shot("payment-inspect")
                page.goto(base + "/admin/settings/wagtail_robokassa/robokassasettings/")
                shot("settings-panel")
                page.locator(".robokassa-connection button").click()
                page.wait_for_load_state()
                page.wait_for_timeout(800)  # the messages slide in
                shot("connection-test")
                lost = pay_without_notifying(page, base)
                page.goto(f"{base}/admin/robokassa_payments/inspect/{lost}/")
                page.locator(".robokassa-status-check button").click()
                page.wait_for_load_state()
                page.wait_for_timeout(800)
                shot("status-check")
                page.goto(f"{base}/admin/robokassa_payments/refund/{lost}/")
                shot("refund-form")
                refund_part(page, base, lost)
                shot("refund-confirm")
                page.get_by_role("button", name=re.compile("Confirm|Подтвердить")).click()
                page.wait_for_load_state()
                page.locator(".robokassa-refunds button").click()
                page.wait_for_load_state()
                page.wait_for_timeout(800)
                shot("refund-history")
                page.goto(base + "/admin/robokassa_overview/")
                shot("overview-refunded")
                refund_with_answer_lost(page, base, lost)
                shot("emulator-switches")  # where it was switched back, listing what it took
                page.goto(f"{base}/admin/robokassa_payments/inspect/{lost}/")
                shot("refund-unknown")
                page.goto(base + "/admin/")
                shot("dashboard-unsettled")
                prepaid = pay_prepaid(page, base)
                page.goto(f"{base}/admin/robokassa_payments/final-receipt/{prepaid}/")
                shot("final-receipt")
                page.locator("main form button[type=submit]").click()
                page.wait_for_load_state()
                page.wait_for_timeout(800)
                shot("final-receipt-sent")
                refuse_with_another_algorithm(page, base)
                page.goto(base + "/admin/")
                shot("dashboard-refusals")
                make_link(page, base, language)
                shot("payment-link-form")
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_url("**/robokassa_links/inspect/**")
                page.wait_for_timeout(800)
                shot("payment-link")
                address = page.input_value("#robokassa-link-url")
                page.goto(base + "/admin/robokassa_links/")
                shot("payment-links")
                page.goto(address)
                shot("emulator-link")
                subscribe(page, base)
                shot("subscription-success")
                page.click("[data-testid=subscription-link]")
                page.wait_for_load_state()
                shot("subscription-page")
                page.goto(base + "/emulator/status-interface/")
                page.click("[data-testid=time-passes]")
                page.wait_for_load_state()
                shot("emulator-renewals")
                page.goto(base + "/admin/robokassa_subscriptions/")
                shot("subscriptions")
                page.locator("main table.listing tbody a[href*='/inspect/']").first.click()
                page.wait_for_load_state()
                shot("subscription-inspect")
                hold(page, base)
                shot("emulator-hold")
                page.locator("button.pay").click()
                page.wait_for_url("**/robokassa/success/**")
                shot("hold-success")
                page.goto(base + "/admin/robokassa_payments/?hold=held")
                shot("payments-held")
                page.locator("main table.listing tbody a[href*='/inspect/']").first.click()
                page.wait_for_load_state()
                shot("hold-inspect")
                page.locator("main a[href*='/charge-hold/']").click()
                page.wait_for_load_state()
                page.fill("input[name=amount]", "1200" if language == "en" else "1200,00")
                page.fill("input[name=line_0]", "1200" if language == "en" else "1200,00")
                shot("hold-charge")
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_load_state()
                page.wait_for_timeout(800)
                shot("hold-charged")
                context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
