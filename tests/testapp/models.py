"""An order model like the one in django-robokassa's README."""

from django.db import models


class Order(models.Model):
    name = models.CharField(max_length=100)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=20, default="new")
    paid_sum = models.DecimalField(max_digits=19, decimal_places=8, null=True)
    extra_param = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name
