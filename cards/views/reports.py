"""Reports for supervisors (their house) and national admins (every house, side by
side), with charts and their tables, and the CSV exports of requests and calls."""

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from cards.charts import bar_chart, column_chart
from cards.exports import calls_csv_rows, card_requests_csv_rows
from cards.forms.supervise import PRESETS, ReportPeriodForm
from cards.permissions import Action, has_role_for
from cards.selectors import houses_run_by
from cards.selectors.reports import Report, report_kept_for


def _period_and_houses(request):
    """The form, the period and the houses asked for (a supervisor: their own;
    an admin: the house picked, or every house). 403 for other roles."""
    if not has_role_for(request.user, Action.VIEW_REPORTS):
        raise Forbidden
    houses = houses_run_by(request.user, Action.VIEW_REPORTS)
    default = ReportPeriodForm.default_period()
    data = request.GET if "start" in request.GET else None
    form = ReportPeriodForm(
        data, houses=houses, initial={"start": default.start, "end": default.end}
    )
    if data is None:
        return form, default, list(houses)
    if not form.is_valid():
        return form, None, []
    chosen = form.cleaned_data.get("house")
    return form, form.period(), [chosen] if chosen else list(houses)


@require_safe
def reports(request):
    form, period, houses = _period_and_houses(request)
    context = {"form": form, "presets": _presets(request)}
    if period is None:
        return render(request, "cards/reports/home.html", context, status=400)
    query = urlencode(
        {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            **({"house": houses[0].code} if len(houses) == 1 else {}),
        }
    )
    report, drawn = report_kept_for(
        actor=request.user,
        period=period,
        houses=houses,
        draw=lambda report: (report, _drawn(report, query)),
    )
    context.update({"report": report, "drawn": drawn})
    return render(request, "cards/reports/home.html", context)


def _drawn(report: Report, query: str) -> str:
    """The report's figures, tables and charts, drawn once for every reader it is
    kept for (`report_kept_for`): nothing in them depends on who reads them."""
    context = {
        "report": report,
        "query": query,
        "compare": len(report.by_house) > 1,
        "days_chart": column_chart(
            [
                (f"{day:%d.%m}", [blocked, invalid])
                for day, blocked, invalid in report.by_day
            ],
            label_every=max(1, len(report.by_day) // 10),
        ),
        "hours_chart": column_chart(
            [(f"{hour:02d}", [n]) for hour, n in report.calls_by_hour],
            label_every=2,
        ),
        "houses_chart": bar_chart([(f.label, f.total) for f in report.by_house]),
    }
    return render_to_string("cards/reports/_report.html", context)


def _presets(request) -> list[dict]:
    """Links to the last 7, 30 and 90 days (keeping the house picked)."""
    links = []
    for days, label in PRESETS:
        period = ReportPeriodForm.default_period(int(days))
        query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if request.GET.get("house"):
            query["house"] = request.GET["house"]
        links.append({"label": label, "query": urlencode(query)})
    return links


def _csv(request, rows_for, name: str):
    form, period, houses = _period_and_houses(request)
    if period is None:
        return render(
            request,
            "cards/reports/home.html",
            {"form": form, "presets": _presets(request)},
            status=400,
        )
    codes = houses[0].code if len(houses) == 1 else "all"
    filename = f"{name}-{codes}-{period.start}-{period.end}.csv"
    response = StreamingHttpResponse(
        rows_for(actor=request.user, period=period, houses=houses),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def requests_csv(request):
    """The requests filed in the period, one per line, identifiers masked."""
    return _csv(request, card_requests_csv_rows, "requests")


@require_safe
def calls_csv(request):
    """The calls started in the period, one per line."""
    return _csv(request, calls_csv_rows, "calls")
