"""Ingestion progress for the controller's staff."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from quietroom.accounts.permissions import VIEW_VENDORS, requires

from .progress import batch_progress, batches_of_controller


@require_GET
@requires(VIEW_VENDORS)
def batches_view(request):
    # Controller-side staff see their own controller's batches; vendors have no VIEW_VENDORS
    # on another organisation, and a vendor manager's organisation holds no batches.
    batches = batches_of_controller(request.user.organisation_id)
    return render(request, "recordings/batches.html", {"batches": batch_progress(batches)[:100]})
