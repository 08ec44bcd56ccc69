"""A record of every export: what format, which filters, and which customers' items it held.

The customer list is what erasure uses to issue deletion lists to whoever holds an export.
"""
from __future__ import annotations

import uuid

from django.db import models


class Export(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    format = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    filters = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)


class ExportCustomer(models.Model):
    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="customers")
    customer_pseudonym = models.CharField(max_length=64, db_index=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("export", "customer_pseudonym")]
