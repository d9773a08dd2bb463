from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from eldercare.accounts import selectors as region_selectors
from eldercare.elders import selectors as elder_selectors


@login_required
def regions(request, code: str | None = None):
    actor = request.user
    children = region_selectors.region_children(actor=actor, code=code)
    if code is None:
        if len(children) == 1:
            return redirect("console:regions", code=children[0].code)
        region, breadcrumb = None, []
    else:
        region = region_selectors.region_get(actor=actor, code=code)
        breadcrumb = region_selectors.region_breadcrumb(actor=actor, region=region)
    counted = children if children or region is None else [region]
    counts = elder_selectors.elder_counts_by_region(actor=actor, regions=counted)
    rows = [(child, counts[child.code]) for child in children]
    context = {
        "region": region,
        "breadcrumb": breadcrumb,
        "rows": rows,
        "total": sum(counts.values()),
    }
    return render(request, "console/regions.html", context)
