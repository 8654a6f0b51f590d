"""Run in the sandbox (``manage.py shell -c``): log in as the seeded admin, follow every URL the
admin's menus (the sidebar and its submenus, and the account menu) reach, and print each with
its status as JSON. Read by ``tests/test_project.py``."""

import json
import re

from django.test import Client


def menu_urls(value, found):
    if isinstance(value, dict):
        url = value.get("url")
        if isinstance(url, str) and url.startswith("/admin/"):
            found.add(url)
        for child in value.values():
            menu_urls(child, found)
    elif isinstance(value, list):
        for child in value:
            menu_urls(child, found)
    return found


client = Client(HTTP_HOST="127.0.0.1:8000")
assert client.login(username="admin", password="robokassa-demo")
home = client.get("/admin/").content.decode()
props = re.search(r'id="wagtail-sidebar-props" type="application/json">(.*?)</script>', home, re.S)
urls = sorted(menu_urls(json.loads(props.group(1)), set()))
print(json.dumps({url: client.get(url, follow=True).status_code for url in urls}))
