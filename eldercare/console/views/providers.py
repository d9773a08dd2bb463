"""Providers in the console: the officers' (or a provider admin's own) list, registering one, its
page (service areas, caregivers, suspension and reinstatement), registering its caregivers; the
region's guide prices and the fraud flags to resolve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from eldercare.accounts.roles import Cap
from eldercare.accounts.scoping import ERR_OUT_OF_SCOPE, has_cap, require
from eldercare.core.errors import Conflict, Err
from eldercare.homecare import selectors as homecare_selectors
from eldercare.homecare.models import FraudFlag, ServiceCategory
from eldercare.homecare.services import caregivers as caregiver_services
from eldercare.homecare.services import orders as order_services
from eldercare.homecare.services import prices as price_services
from eldercare.providers import selectors, services
from eldercare.providers.models import Provider, ProviderStatus

from ..forms import add_service_errors
from ..forms_providers import (
    AreaForm,
    AreaRemoveForm,
    CaregiverEditForm,
    CaregiverForm,
    FlagFilterForm,
    FlagResolveForm,
    PriceForm,
    ProviderFilterForm,
    ProviderForm,
    ReasonForm,
)
from ..templatetags.entitlement_tags import in_language
from ..templatetags.provider_tags import price_yuan
from .actions import Action, perform, table

PAGE_SIZE = 50
ERR_CAREGIVER_NOT_FOUND = Err("homecare.caregiver_not_found", "未找到该护理员 / no such caregiver")
ERR_FLAG_NOT_FOUND = Err("homecare.flag_not_found", "未找到该异常标记 / no such flag")


# ---------------------------------------------------------------- providers


@login_required
@never_cache
def provider_list(request):
    form = ProviderFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    providers = selectors.provider_list(actor=request.user, status=filters.get("status") or None, name=filters.get("q") or None)
    page_obj = Paginator(providers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "may_register": has_cap(request.user, Cap.MANAGE_CATALOG)}
    return render(request, "console/provider_list.html", context)


@login_required
@never_cache
def provider_create(request):
    require(request.user, Cap.MANAGE_CATALOG)
    form = ProviderForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider = services.provider_register(
                actor=request.user, name=data["name"], credit_code=data["credit_code"], region=data["region"], licence=data["licence"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error("credit_code", exc.message)
        else:
            messages.success(request, _("服务商已登记：%(name)s") % {"name": provider.name})
            return redirect("console:provider_detail", provider.pk)
    return render(request, "console/provider_form.html", {"form": form})


def _provider_page(request, provider: Provider, *, forms: dict | None = None):
    """The provider's page; `forms` holds an action's form sent back with its errors."""
    actions = selectors.provider_actions(request.user, provider)
    caregivers = homecare_selectors.provider_caregivers(provider)
    context = {
        "provider": provider,
        "actions": actions,
        "areas": provider.areas.select_related("region").order_by("region_id"),
        "caregivers": caregivers[:20],
        "caregiver_count": caregivers.count(),
        "recent_orders": homecare_selectors.provider_recent_orders(provider),
        "history": selectors.status_history(provider),
        "may_register_caregivers": selectors.may_register_caregivers(request.user, provider),
        "area_form": (forms or {}).get("area_add") or (AreaForm(actor=request.user) if "area_add" in actions else None),
        "forms": forms or {},
        "PS": ProviderStatus,
    }
    return render(request, "console/provider_detail.html", context)


@login_required
@never_cache
def provider_detail(request, pk: int):
    return _provider_page(request, selectors.provider_get(actor=request.user, pk=pk))


PROVIDER_ACTIONS = table(
    Action("suspend", ReasonForm, services.provider_suspend, gettext_lazy("已暂停该服务商接单")),
    Action("reinstate", ReasonForm, services.provider_reinstate, gettext_lazy("已恢复该服务商接单")),
    Action("area_add", AreaForm, services.service_area_add, gettext_lazy("已增加服务区域")),
    Action("area_remove", AreaRemoveForm, services.service_area_remove, gettext_lazy("已移除服务区域")),
)


@login_required
@never_cache
def provider_act(request, pk: int):
    """Every action on a provider's page posts here, named by `action`."""
    provider = selectors.provider_get(actor=request.user, pk=pk)
    back = reverse("console:provider_detail", args=[pk])

    def page(action, form):
        return _provider_page(request, selectors.provider_get(actor=request.user, pk=pk), forms={action.name: form})

    def out_of_date(name: str):
        # Suspend / reinstate offered to this officer, but the status moved on since the page was shown.
        if name in ("suspend", "reinstate") and selectors.supervises(request.user, provider):
            return _("该服务商已变为“%(status)s”，页面已过期") % {"status": provider.get_status_display()}
        return None

    return perform(
        request,
        provider,
        PROVIDER_ACTIONS.get(request.POST.get("action", "")),
        offered=selectors.provider_actions(request.user, provider),
        page=page,
        back=back,
        out_of_date=out_of_date,
        form_kwargs={"actor": request.user},
    )


# ---------------------------------------------------------------- caregivers


def _caregivers_provider(request, pk: int) -> Provider:
    provider = selectors.provider_get(actor=request.user, pk=pk)
    if not selectors.may_register_caregivers(request.user, provider):
        raise PermissionDenied(ERR_OUT_OF_SCOPE)
    return provider


@login_required
@never_cache
def provider_caregivers(request, pk: int):
    provider = selectors.provider_get(actor=request.user, pk=pk)
    page_obj = Paginator(homecare_selectors.provider_caregivers(provider), PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(ServiceCategory.objects.values_list("code", "name"))
    for caregiver in page_obj.object_list:
        caregiver.category_names = [in_language(names.get(code, code)) for code in caregiver.categories]  # type: ignore[attr-defined]  # for the template only
    context = {"provider": provider, "page_obj": page_obj, "may_register": selectors.may_register_caregivers(request.user, provider)}
    return render(request, "console/provider_caregivers.html", context)


@login_required
@never_cache
def caregiver_create(request, pk: int):
    provider = _caregivers_provider(request, pk)
    form = CaregiverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            caregiver = caregiver_services.caregiver_register(actor=request.user, provider=provider, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("护理员已登记：%(name)s") % {"name": caregiver.name})
            return redirect("console:provider_caregivers", provider.pk)
    return render(request, "console/provider_caregiver_form.html", {"provider": provider, "form": form})


@login_required
@never_cache
def caregiver_edit(request, pk: int, caregiver_pk: int):
    provider = _caregivers_provider(request, pk)
    caregiver = provider.caregivers.select_related("user", "provider").filter(pk=caregiver_pk).first()
    if caregiver is None:
        raise Http404(ERR_CAREGIVER_NOT_FOUND)
    form = CaregiverEditForm(request.POST or None, caregiver=caregiver)
    if request.method == "POST" and form.is_valid():
        try:
            caregiver = caregiver_services.caregiver_update(actor=request.user, caregiver=caregiver, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("护理员信息已保存：%(name)s") % {"name": caregiver.name})
            return redirect("console:provider_caregivers", provider.pk)
    context = {"provider": provider, "caregiver": caregiver, "form": form}
    return render(request, "console/provider_caregiver_form.html", context)


# ---------------------------------------------------------------- guide prices


@login_required
@never_cache
def price_list(request):
    prices = homecare_selectors.guide_prices_current(actor=request.user)
    page_obj = Paginator(prices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/price_list.html", {"page_obj": page_obj})


@login_required
@never_cache
def price_create(request):
    require(request.user, Cap.MANAGE_CATALOG)
    form = PriceForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            price = price_services.guide_price_set(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error("valid_from", exc.message)
        else:
            messages.success(
                request,
                _("指导价已设定：%(item)s · %(region)s · %(price)s")
                % {"item": in_language(price.item.name), "region": price.region.name, "price": price_yuan(price.price)},
            )
            return redirect("console:price_list")
    return render(request, "console/price_form.html", {"form": form})


# ---------------------------------------------------------------- fraud flags


def _flags_page(request, *, failed: dict | None = None):
    form = FlagFilterForm(request.GET)
    show = (form.cleaned_data.get("show") if form.is_valid() else "") or "open"
    flags = homecare_selectors.flags_visible(request.user).select_related("order__elder", "order__provider", "resolved_by")
    if show == "open":
        flags = flags.filter(resolved_by__isnull=True)
    elif show == "resolved":
        flags = flags.filter(resolved_by__isnull=False)
    page_obj = Paginator(flags.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/flag_list.html", {"form": form, "page_obj": page_obj, "show": show, "failed": failed})


@login_required
@never_cache
def flag_list(request):
    return _flags_page(request)


def _resolve(*, actor, fraudflag: FraudFlag, resolution: str) -> FraudFlag:
    """`flag_resolve` named as `perform` calls it (after the record's model, FraudFlag)."""
    return order_services.flag_resolve(actor=actor, flag=fraudflag, resolution=resolution)


FLAG_ACTIONS = table(Action("resolve", FlagResolveForm, _resolve, gettext_lazy("已处理该异常标记")))


@login_required
@never_cache
def flag_resolve(request, pk: int):
    flag = homecare_selectors.flags_visible(request.user).select_related("order").filter(pk=pk).first()
    if flag is None:
        raise Http404(ERR_FLAG_NOT_FOUND)
    back = reverse("console:flag_list")
    if request.method == "POST" and flag.resolved_by_id is not None:
        messages.info(request, _("该异常标记已由他人处理"))
        return redirect(back)
    return perform(
        request,
        flag,
        FLAG_ACTIONS.get(request.POST.get("action", "resolve")),
        offered={"resolve"},
        page=lambda action, form: _flags_page(request, failed={"flag": flag.pk, "form": form}),
        back=back,
    )
