"""Make the sandbox ready to click through; running it again changes nothing."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from wagtail.models import Page, Site

from demo.home.models import HomePage
from wagtail_robokassa.models import RobokassaSettings

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "robokassa-demo"  # noqa: S105 - the local demo's documented login
ADMIN_NAME = ("Demo", "Admin")
SANDBOX_HOST = ("127.0.0.1", 8000)
SHOP = {
    "login": "demo-shop",
    "password1": "demo-live-1",
    "password2": "demo-live-2",
    "test_password1": "demo-test-1",
    "test_password2": "demo-test-2",
    "password3": "demo-refund-3",
    "test_mode": True,
    "algorithm": "sha256",
    "send_receipts": True,
    "receipt_sno": "usn_income",
    "recurring_enabled": True,
    "holds_enabled": True,
}
RECEIPT = {"name": "", "tax": "", "payment_method": "", "payment_object": ""}
BODY = [
    ("heading", "Поддержите независимое издание"),
    (
        "paragraph",
        "<p>Это демонстрационный магазин на Wagtail. Кнопки ниже принимают тестовые платежи "
        "через локальный эмулятор ROBOKASSA: деньги не списываются.</p>",
    ),
    (
        "payment",
        {
            "description": "Годовая подписка",
            "amount": Decimal("990.00"),
            "button_label": "Оформить подписку",
            "ask_email": True,
            "receipt": RECEIPT,
            "thank_you_text": "Спасибо! Подписка начнётся завтра.",
        },
    ),
    (
        "payment",
        {
            "description": "Поддержать проект",
            "buyer_chooses_amount": True,
            "amount": Decimal("300.00"),
            "min_amount": Decimal("100.00"),
            "max_amount": Decimal("10000.00"),
            "button_label": "Поддержать",
            "receipt": {**RECEIPT, "payment_object": "service"},
        },
    ),
    (
        "payment",
        {
            "description": "Предзаказ книги «Хроники»",
            "amount": Decimal("1490.00"),
            "button_label": "Предзаказать",
            "ask_email": True,
            # Paid before the book exists: the final receipt is sent from the admin on delivery.
            "receipt": {**RECEIPT, "payment_method": "full_prepayment"},
            "thank_you_text": "Спасибо! Книга выйдет в декабре; чек пришлём при отправке.",
        },
    ),
    (
        "payment",
        {
            "description": "Клуб читателей",
            "amount": Decimal("290.00"),
            "receipt": {**RECEIPT, "payment_object": "service"},
            "subscription": {
                "enabled": True,
                "period": "month",
                "first_amount": Decimal("1.00"),
                "trial_days": 7,
            },
            "thank_you_text": "Добро пожаловать в клуб! Первая неделя — за 1 ₽.",
        },
    ),
    (
        "payment",
        {
            "description": "Прокат велосипеда на выходные",
            "amount": Decimal("1500.00"),
            "button_label": "Забронировать",
            "ask_email": True,
            "hold": True,
            "receipt": {**RECEIPT, "payment_object": "service"},
            "thank_you_text": "Велосипед забронирован. Сумма спишется после возврата велосипеда.",
        },
    ),
]


class Command(BaseCommand):
    help = "Create the sandbox's admin user, home page and test-mode ROBOKASSA settings."

    def handle(self, *args, **options):
        self._admin()
        site = self._home_site()
        if (site.hostname, site.port) in (("localhost", 80), ("localhost", 8000)):
            # `make demo` serves http://127.0.0.1:8000/: the emulator notifies this Site's Result
            # URL, and the settings panel builds the cabinet's URLs from it.
            site.hostname, site.port = SANDBOX_HOST
            site.save(update_fields=["hostname", "port"])
        RobokassaSettings.objects.update_or_create(site=site, defaults=SHOP)
        self.stdout.write(
            "\nThe sandbox is ready:\n"
            "  shop:      http://127.0.0.1:8000/\n"
            "  admin:     http://127.0.0.1:8000/admin/  "
            f"(user {ADMIN_USERNAME}, password {ADMIN_PASSWORD})\n"
            "  emulator:  http://127.0.0.1:8000/emulator/Merchant/Index.aspx (ROBOKASSA stand-in)\n"
        )

    def _admin(self) -> None:
        """The admin, with a name: Account → Preferences (the admin's language) requires one."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            user = user_model.objects.create_superuser(
                ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD
            )
        if not (user.first_name and user.last_name):
            user.first_name, user.last_name = ADMIN_NAME
            user.save(update_fields=["first_name", "last_name"])

    def _home_site(self) -> Site:
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site is not None and isinstance(site.root_page.specific, HomePage):
            return site
        root = Page.get_first_root_node()
        home = HomePage(title="Демо-магазин", slug="demo-home", body=BODY)
        root.add_child(instance=home)
        home.save_revision().publish()
        if site is None:
            hostname, port = SANDBOX_HOST
            site = Site.objects.create(
                hostname=hostname, port=port, root_page=home, is_default_site=True
            )
        else:
            old_root = site.root_page
            site.root_page = home
            site.save()
            if old_root.pk != home.pk and not old_root.get_children().exists():
                old_root.delete()  # Wagtail's "Welcome" page
        return site
