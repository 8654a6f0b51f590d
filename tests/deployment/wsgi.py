"""The app servers' WSGI application (gunicorn ``tests.deployment.wsgi``)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
