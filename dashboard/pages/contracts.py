"""Contracts: the ones the principal may see, a form to create one (admins), and, for the
contract in the URL, forms to change it field by field: its settings (a prime manager sees
only the ones its role may change, how subcontractors see the league table), and for admins
a tariff row to add beside the rows in force and the milestone schedule as an editable list.
Each form builds the API's ContractUpdate and calls app.supply_chain.service, which decides
what each role may change; a refusal is shown next to the field it names."""

import json
from typing import Any, get_args, get_origin
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, clientside_callback, ctx, dcc, html
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.permissions import PRIME_EDITABLE_SETTINGS, may
from app.auth.principal import Principal
from app.core.errors import Conflict, Forbidden, Invalid
from app.models.participants import CHARACTERISTICS
from app.supply_chain import exports, schemas, service
from app.supply_chain.defaults import PAYMENT_GROUPS
from dashboard.auth import db_session
from dashboard.components.callbacks import callback
from dashboard.components.downloads import (
    chosen_format,
    download_buttons,
    download_inputs,
    send_export,
)
from dashboard.components.filters import filter_control
from dashboard.components.forms import (
    ARIA_LIVE,
    REFUSALS,
    chosen_int,
    done,
    every,
    field,
    options,
    reasons,
    signed_in,
)
from dashboard.components.page import aria_label, guarded, page_header

dash.register_page(__name__, path="/contracts", name="Contracts", order=24, nav_group=True,
                   title="Contracts - chainboard", nav_roles=("admin", "prime_manager"))
FIELD = "contract-field"  # every field of the change forms: {"type": FIELD, "name": path}
ERROR = "contract-field-error"  # the message beside it, same name
# The path of a field is where ContractUpdate's validation errors point ("settings.min_n",
# "tariff.outcome_fee", "milestone_schedule.spell_checks.0.days"): a refusal goes beside it.
TARIFF_LABELS = {"payment_group": "Payment group", "valid_from": "Valid from",
                 "attachment_fee": "Attachment fee (£)", "outcome_fee": "Job outcome fee (£)",
                 "sustainment_fee": "Sustainment fee (£)",
                 "max_sustainments": "Most sustainment payments",
                 "outcome_weeks": "Weeks in work for a job outcome"}
SCHEDULE_LABELS = {"milestone": "Check code", "days": "Days after the job starts",
                   "min_outcome_weeks": "Only for outcomes of at least (weeks)"}
SPARE_CHECKS = 2  # empty rows under the schedule's checks, to add new ones


def contracts_of(session: Session, principal: Principal) -> list[Any]:
    return every(lambda page: service.list_contracts(session, principal, page))


def contracts_table(contracts: list[Any]) -> Any:
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Id", "CPA", "Area", "Prime id", "Start", "End", "League for subcontractors",
        "Tariff rows")]))
    body = html.Tbody([html.Tr([
        html.Td(str(c.id)), html.Td(c.cpa_code), html.Td(c.cpa_name), html.Td(str(c.prime_id)),
        html.Td(c.start_date.isoformat()), html.Td(c.end_date.isoformat()),
        html.Td(service.contract_settings(c).league_visibility.capitalize()),
        html.Td(str(len(c.tariff_rows))),
    ]) for c in contracts])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="contracts-table")


def tariff_table(contract: schemas.ContractRead) -> Any:
    """The tariff rows, newest first within each payment group (rows are history)."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in TARIFF_LABELS.values()]))
    rows = sorted(contract.tariff, key=lambda r: (r.payment_group, r.valid_from), reverse=True)
    body = html.Tbody([html.Tr([
        html.Td(PAYMENT_GROUPS[r.payment_group].name if r.payment_group in PAYMENT_GROUPS
                else r.payment_group),
        html.Td(r.valid_from.isoformat()), html.Td(f"£{r.attachment_fee:,.2f}"),
        html.Td(f"£{r.outcome_fee:,.2f}"), html.Td(f"£{r.sustainment_fee:,.2f}"),
        html.Td(str(r.max_sustainments)), html.Td(str(r.outcome_weeks)),
    ]) for r in rows])
    return dbc.Table([head, body], bordered=True, size="sm", responsive=True,
                     id="contract-tariff-rows")


SETTING_WORDS = {"league_visibility": "League table for subcontractors",
                 "league_k_anonymity": "League k-anonymity (fewest providers pooled)",
                 "min_n": "Fewest eligible to be ranked",
                 "od_min_units": "Fewest providers to estimate overdispersion",
                 "flag_rag_basis": "Limits the RAG flag judges by",
                 "min_performance_index": "Performance index expected of members"}


# Settings that are lists of codes, edited one a line (DOMAIN.md section 12).
LINE_LIST_SETTINGS = ("interventions", "assessment_areas")


def setting_label(name: str) -> str:
    return SETTING_WORDS.get(name, name.replace("_", " ").capitalize())


def labelled(path: str, label: str, control: Any, hint: str | None = None,
             md: int = 3) -> dbc.Col:
    """A field with its label around it (a pattern-matching id cannot be a label's `for`),
    its hint, and the place where a refusal naming it is shown."""
    return dbc.Col([
        html.Label([html.Span(label, className="d-block mb-1"), control], className="w-100"),
        dbc.FormText(hint) if hint else None,
        html.Div(id={"type": ERROR, "name": path}, className="small text-danger fw-semibold"),
    ], md=md, className="mb-2")


def number_box(path: str, value: Any, step: str = "1") -> dbc.Input:
    return dbc.Input(id={"type": FIELD, "name": path}, type="number", value=value, step=step)


def setting_fields(name: str, value: Any) -> list[dbc.Col]:
    """One setting's fields, by its type in ContractSettings."""
    info = schemas.ContractSettings.model_fields[name]
    path = f"settings.{name}"
    annotation = info.annotation
    if name == "national_rates":
        return [labelled(f"{path}.{code}", f"National rate: {group.name}",
                         number_box(f"{path}.{code}", value.get(code), "0.001"), md=2)
                for code, group in PAYMENT_GROUPS.items()]
    if name == "holidays":
        return [labelled(path, "Holidays (one date a line, YYYY-MM-DD)", dbc.Textarea(
            id={"type": FIELD, "name": path}, value="\n".join(value), rows=3),
            info.description, md=6)]
    if name in LINE_LIST_SETTINGS:
        return [labelled(path, f"{setting_label(name)} (one code a line)", dbc.Textarea(
            id={"type": FIELD, "name": path}, value="\n".join(value), rows=4),
            info.description, md=3)]
    if name == "risk_covariates":
        return [labelled(path, "Risk model characteristics", dbc.Checklist(
            id={"type": FIELD, "name": path}, value=list(value), inline=True,
            options=[{"label": c.replace("_", " "), "value": c} for c in CHARACTERISTICS]),
            "besides the payment group", md=6)]
    if get_origin(annotation) is not None and str(get_origin(annotation)).endswith("Literal"):
        return [labelled(path, setting_label(name), dbc.Select(
            id={"type": FIELD, "name": path}, value=value,
            options=[{"label": str(v).capitalize(), "value": v}
                     for v in get_args(annotation)]))]
    if annotation is float:  # its range from the field's own bounds
        low = next((getattr(m, bound) for m in info.metadata for bound in ("ge", "gt")
                    if getattr(m, bound, None) is not None), 0)
        high = next((getattr(m, bound) for m in info.metadata for bound in ("le", "lt")
                     if getattr(m, bound, None) is not None), None)
        words = f" ({low:g} to {high:g})" if high is not None else ""
        return [labelled(path, setting_label(name) + words, number_box(path, value, "0.01"),
                         md=3)]
    return [labelled(path, setting_label(name), number_box(path, value, "1"), md=3)]


def settings_form(contract: schemas.ContractRead, admin: bool) -> html.Section:
    current = contract.settings.model_dump(mode="json")
    names = [n for n in schemas.ContractSettings.model_fields
             if admin or n in PRIME_EDITABLE_SETTINGS]
    return html.Section([
        html.H3("Settings", className="h6"),
        dbc.Row([col for name in names for col in setting_fields(name, current[name])]),
        dbc.Button("Save the settings", id="contract-update", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Settings"))


def tariff_form(contract: schemas.ContractRead) -> html.Section:
    def box(name: str, **attributes: Any) -> dbc.Input:
        return dbc.Input(id={"type": FIELD, "name": f"tariff.{name}"}, **attributes)

    def money_box(name: str) -> Any:
        return dbc.InputGroup([dbc.InputGroupText("£"), box(name, type="number",
                                                           step="0.01")])
    return html.Section([
        html.H3("Tariff", className="h6"),
        html.P("Rows are history: a new row applies from its date; the rows in force stay "
               "as they were.", className="small"),
        html.Div(tariff_table(contract), id="contract-tariff-table"),
        html.H4("Add a tariff row", className="h6 mt-2"),
        dbc.Row([
            labelled("tariff.payment_group", TARIFF_LABELS["payment_group"], dbc.Select(
                id={"type": FIELD, "name": "tariff.payment_group"},
                options=options([(code, g.name) for code, g in PAYMENT_GROUPS.items()]))),
            labelled("tariff.valid_from", TARIFF_LABELS["valid_from"],
                     box("valid_from", type="date"), md=2),
            *(labelled(f"tariff.{name}", TARIFF_LABELS[name], money_box(name), md=2)
              for name in ("attachment_fee", "outcome_fee", "sustainment_fee")),
            labelled("tariff.max_sustainments", TARIFF_LABELS["max_sustainments"],
                     box("max_sustainments", type="number", step="1"), md=2),
            labelled("tariff.outcome_weeks", TARIFF_LABELS["outcome_weeks"],
                     box("outcome_weeks", type="number", step="1"), md=2),
        ]),
        dbc.Button("Add the tariff row", id="contract-add-tariff", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Tariff"))


def schedule_form(contract: schemas.ContractRead) -> html.Section:
    schedule = contract.milestone_schedule
    checks = [c.model_dump() for c in schedule.spell_checks] + [{}] * SPARE_CHECKS
    prefix = "milestone_schedule.spell_checks"
    rows = [dbc.Row([
        labelled(f"{prefix}.{i}.milestone", f"Check {i + 1}: {SCHEDULE_LABELS['milestone']}",
                 dbc.Input(id={"type": FIELD, "name": f"{prefix}.{i}.milestone"},
                           value=check.get("milestone"), placeholder="D28")),
        labelled(f"{prefix}.{i}.days", f"Check {i + 1}: {SCHEDULE_LABELS['days']}",
                 number_box(f"{prefix}.{i}.days", check.get("days"))),
        labelled(f"{prefix}.{i}.min_outcome_weeks",
                 f"Check {i + 1}: {SCHEDULE_LABELS['min_outcome_weeks']}",
                 number_box(f"{prefix}.{i}.min_outcome_weeks", check.get("min_outcome_weeks")),
                 "empty: every group"),
    ]) for i, check in enumerate(checks)]
    return html.Section([
        html.H3("Milestone schedule", className="h6"),
        html.P("In-work checks due a number of days after each job starts. Clear a check's "
               "code to remove it; fill an empty row to add one.", className="small"),
        *rows,
        html.Div(id={"type": ERROR, "name": prefix}, className="small text-danger fw-semibold"),
        dbc.Row([labelled("milestone_schedule.sustainment_interval_days",
                          "Days between sustainment checks",
                          number_box("milestone_schedule.sustainment_interval_days",
                                     schedule.sustainment_interval_days))]),
        dbc.Button("Save the schedule", id="contract-save-schedule", color="primary"),
    ], className="border rounded p-3 mb-3", **aria_label("Milestone schedule"))


def change_forms(session: Session, principal: Principal, contracts: list[Any],
                 query: dict[str, str]) -> html.Section:
    chosen = chosen_int(query.get("contract")) or (contracts[0].id if contracts else None)
    admin = may(principal, "contracts.configure")
    # The change callback's buttons and table are always in the page (Dash needs them); the
    # forms a role may not use are left out, their buttons hidden.
    unused = {"contract-update", "contract-add-tariff", "contract-save-schedule"}
    forms: list[Any] = []
    if chosen is not None:
        contract = service.contract_read(service.get_contract(session, principal, chosen))
        forms = [settings_form(contract, admin)]
        unused.discard("contract-update")
        if admin:
            forms += [tariff_form(contract), schedule_form(contract)]
            unused -= {"contract-add-tariff", "contract-save-schedule"}
        else:
            forms.append(html.Section([html.H3("Tariff", className="h6"), html.Div(
                tariff_table(contract), id="contract-tariff-table")], **aria_label("Tariff")))
    else:
        forms.append(html.Div(id="contract-tariff-table"))
    forms.append(html.Div([dbc.Button(id=button) for button in sorted(unused)], hidden=True))
    return html.Section([
        html.H2("Change a contract", className="h5"),
        dbc.Row([filter_control("contract", "Contract", chosen, options=options(
            [(c.id, f"{c.cpa_code} {c.cpa_name}") for c in contracts]), width=4)]),
        *forms,
    ], className="mb-3", **aria_label("Change a contract"))


def render(session: Session, principal: Principal, query: dict[str, str]) -> Any:
    contracts = contracts_of(session, principal)
    primes = ([o for o in every(lambda page: service.list_organisations(session, principal,
                                                                          page))
               if o.kind == "prime"] if may(principal, "contracts.create") else [])
    create = html.Section([
        html.H2("Create a contract", className="h5"),
        dbc.Row([
            field("Prime", dbc.Select(id="contract-prime", options=options(
                [(o.id, o.name) for o in primes]))),
            field("CPA code", dbc.Input(id="contract-cpa-code", maxLength=32), md=2),
            field("Area name", dbc.Input(id="contract-cpa-name", maxLength=200)),
            field("Start", dbc.Input(id="contract-start", type="date"), md=2),
            field("End", dbc.Input(id="contract-end", type="date"), md=2),
        ]),
        html.P("The programme's tariff, milestone schedule and settings apply until you "
               "change them below.", className="small text-muted"),
        dbc.Button("Create the contract", id="contract-create", color="primary"),
    ], className="border rounded p-3 mb-3", hidden=not primes,
        **aria_label("Create a contract"))
    return html.Div([
        page_header("Contracts"),
        create,
        dcc.Loading(html.Div(id="contracts-result", role="status", **ARIA_LIVE)),
        change_forms(session, principal, contracts, query),
        dcc.Store(id="contract-field-errors"),
        html.H2("Every contract", className="h5"),
        download_buttons("contracts"),
        html.Div(contracts_table(contracts), id="contracts-list"),
    ])


layout = guarded(render, "contracts")


# -- from the fields to a ContractUpdate -------------------------------------------------------
def _setting_value(name: str, fields: dict[str, Any]) -> Any:
    path = f"settings.{name}"
    if name == "national_rates":
        return {code: fields[f"{path}.{code}"] for code in PAYMENT_GROUPS
                if f"{path}.{code}" in fields}
    if name == "holidays" or name in LINE_LIST_SETTINGS:
        return [line.strip() for line in str(fields.get(path) or "").splitlines()
                if line.strip()]
    return fields[path]


def settings_change(fields: dict[str, Any], current: schemas.ContractSettings
                    ) -> dict[str, Any]:
    """The settings whose fields differ from the contract's: only those are sent, so a role
    that may change some settings is not refused for showing the others unchanged."""
    now = current.model_dump(mode="json")
    changed: dict[str, Any] = {}
    for name in schemas.ContractSettings.model_fields:
        if not any(path == f"settings.{name}" or path.startswith(f"settings.{name}.")
                   for path in fields):
            continue
        value = _setting_value(name, fields)
        try:
            given = schemas.ContractSettings.model_validate({name: value}).model_dump(
                mode="json")[name]
        except ValidationError:
            changed[name] = value  # the write's validation names it
            continue
        if isinstance(given, dict):  # national rates: the groups changed only
            given = {k: v for k, v in given.items() if v != now[name].get(k)}
            if given:
                changed[name] = given
        elif _unordered(given) != _unordered(now[name]):  # a list's order is no change
            changed[name] = value
    return changed


def _unordered(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def tariff_change(fields: dict[str, Any]) -> dict[str, Any]:
    row = {name: fields.get(f"tariff.{name}") for name in TARIFF_LABELS}
    # A number box holds a number; the fees are sent as text, so no float rounding reaches
    # the Decimal (and "" is no fee).
    for name in ("attachment_fee", "outcome_fee", "sustainment_fee"):
        row[name] = None if row[name] in (None, "") else str(row[name])
    return {"tariff": [row]}


def schedule_change(fields: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The schedule from its rows (a row without a code is left out), and the form row of each
    check sent (an error about check k is shown on its row)."""
    prefix = "milestone_schedule.spell_checks"
    checks, rows = [], []
    row = 0
    while f"{prefix}.{row}.milestone" in fields:
        code = str(fields[f"{prefix}.{row}.milestone"] or "").strip()
        if code:
            check = {"milestone": code, "days": fields.get(f"{prefix}.{row}.days")}
            weeks = fields.get(f"{prefix}.{row}.min_outcome_weeks")
            if weeks not in (None, ""):
                check["min_outcome_weeks"] = weeks
            checks.append(check)
            rows.append(row)
        row += 1
    return {"milestone_schedule": {
        "spell_checks": checks,
        "sustainment_interval_days": fields.get("milestone_schedule.sustainment_interval_days"),
    }}, rows


def field_path(location: tuple[Any, ...], schedule_rows: list[int]) -> str:
    """A validation error's location as the path of the field showing it."""
    parts = [str(p) for p in location]
    if parts[:1] == ["tariff"] and len(parts) > 1:
        parts = ["tariff", *parts[2:]]  # the form adds one row at a time
    if parts[:2] == ["milestone_schedule", "spell_checks"] and len(parts) > 2:
        parts[2] = str(schedule_rows[int(parts[2])])
    return ".".join(parts)


def field_label(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "tariff":
        return TARIFF_LABELS.get(parts[-1], path)
    if parts[0] == "milestone_schedule" and len(parts) == 4:
        return f"Check {int(parts[2]) + 1}: {SCHEDULE_LABELS.get(parts[3], parts[3])}"
    if parts[:2] == ["settings", "national_rates"] and len(parts) == 3:
        group = PAYMENT_GROUPS.get(parts[2])
        return f"National rate: {group.name if group else parts[2]}"
    return setting_label(parts[-1]) if len(parts) > 1 else path


def field_errors(exc: Exception, shown: set[str], schedule_rows: list[int]
                 ) -> tuple[dict[str, str], list[str]]:
    """The refusal's messages by the field they name (the nearest field shown), and those
    naming no field shown."""
    placed: dict[str, str] = {}
    loose: list[str] = []
    if isinstance(exc, ValidationError):
        found = [(field_path(tuple(e["loc"]), schedule_rows),
                  e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
    else:  # the service's refusals begin with the field: "settings.min_n: ..."
        named, _, message = reasons(exc)[0].partition(": ")
        named = "tariff.valid_from" if named.startswith("tariff[") else named
        found = [(named, message)] if message else [("", named)]
    for path, message in found:
        target = path
        while target and target not in shown:
            target = target.rpartition(".")[0]
        if target:
            placed[target] = f"{field_label(path)}: {message}"
        else:
            loose.append(f"{path}: {message}" if path else message)
    return placed, loose


# The messages go beside their fields in the browser: the server answers one store. A field
# with a message is marked invalid and described by it (WCAG 1.3.1, 3.3.1), so that a screen
# reader reads the refusal with the field; Dash cannot give a component an aria-describedby
# naming a pattern-matching id, so the attributes are set here. Dash writes such an id as
# its JSON with the keys sorted.
clientside_callback(
    """
    function(errors, ids) {
        return ids.map(function(id) {
            var message = (errors || {})[id.name] || null;
            var errorId = JSON.stringify({name: id.name, type: id.type});
            var field = document.getElementById(JSON.stringify({name: id.name, type: FIELD}));
            if (field && message) {
                field.setAttribute("aria-invalid", "true");
                field.setAttribute("aria-describedby", errorId);
            } else if (field) {
                field.removeAttribute("aria-invalid");
                field.removeAttribute("aria-describedby");
            }
            return message;
        });
    }
    """.replace("FIELD", json.dumps(FIELD)),
    Output({"type": ERROR, "name": ALL}, "children"),
    Input("contract-field-errors", "data"),
    State({"type": ERROR, "name": ALL}, "id"),
    prevent_initial_call=True,
)

CHANGES = {"contract-update": "settings", "contract-add-tariff": "tariff row",
           "contract-save-schedule": "milestone schedule"}


@callback(Output("contracts-result", "children"), Output("contracts-list", "children"),
          Output("contract-tariff-table", "children"), Output("contract-field-errors", "data"),
          Input("contract-create", "n_clicks"), Input("contract-update", "n_clicks"),
          Input("contract-add-tariff", "n_clicks"), Input("contract-save-schedule", "n_clicks"),
          State("contract-prime", "value"), State("contract-cpa-code", "value"),
          State("contract-cpa-name", "value"), State("contract-start", "value"),
          State("contract-end", "value"), State({"type": FIELD, "name": ALL}, "value"),
          State({"type": FIELD, "name": ALL}, "id"), State({"type": ERROR, "name": ALL}, "id"),
          State("_pages_location", "search"), prevent_initial_call=True)
def act(_create: Any, _update: Any, _tariff: Any, _schedule: Any, prime: str | None,
        cpa_code: str | None, cpa_name: str | None, start: str | None, end: str | None,
        values: list[Any], ids: list[dict[str, str]], error_ids: list[dict[str, str]],
        search: str | None) -> Any:
    principal = signed_in()
    fields = {i["name"]: v for i, v in zip(ids, values, strict=True)}
    shown = {i["name"] for i in error_ids}
    schedule_rows: list[int] = []
    with db_session(write=True) as session:
        try:
            if ctx.triggered_id == "contract-create":
                contract = service.create_contract(session, principal, schemas.ContractCreate
                                                   .model_validate({
                                                       "prime_id": chosen_int(prime),
                                                       "cpa_code": cpa_code or "",
                                                       "cpa_name": cpa_name or "",
                                                       "start_date": start, "end_date": end}))
                return (done(f"Contract {contract.cpa_code} created (id {contract.id}).",
                             "contracts-done"),
                        contracts_table(contracts_of(session, principal)), dash.no_update, {})
            contract_id = chosen_int(dict(parse_qsl((search or "").lstrip("?")))
                                     .get("contract"))
            if contract_id is None:
                contract_id = next(iter(c.id for c in contracts_of(session, principal)), None)
            if contract_id is None:
                raise Invalid("contract: choose a contract")
            what = CHANGES.get(str(ctx.triggered_id), "settings")
            if what == "settings":
                current = service.contract_settings(service.get_contract(session, principal,
                                                                         contract_id))
                body = {"settings": settings_change(fields, current)}
            elif what == "tariff row":
                body = tariff_change(fields)
            else:
                body, schedule_rows = schedule_change(fields)
            contract = service.update_contract(session, principal, contract_id,
                                               schemas.ContractUpdate.model_validate(body))
            message = (f"Contract {contract.cpa_code}: {what} saved." if body.get("settings")
                       != {} else f"Contract {contract.cpa_code}: no setting was changed.")
            return (done(message, "contracts-done"),
                    contracts_table(contracts_of(session, principal)),
                    tariff_table(service.contract_read(contract)), {})
        except (*REFUSALS, ValueError) as exc:
            placed, loose = ((field_errors(exc, shown, schedule_rows))
                             if isinstance(exc, ValidationError | Invalid | Conflict | Forbidden)
                             else ({}, [str(exc)]))
            summary = dbc.Alert([
                html.Strong("Not saved: "),
                "; ".join(loose) if loose else
                "see the message beside " + ("each field named" if len(placed) > 1
                                             else "the field") + ": " + "; ".join(
                    placed.values())], color="danger", id="contracts-error")
            return summary, dash.no_update, dash.no_update, placed


@callback(Output("contracts-download", "data"), *download_inputs("contracts"),
          prevent_initial_call=True)
def export(_csv: int | None, _xlsx: int | None) -> Any:
    principal = signed_in()
    with db_session() as session:
        return send_export(exports.contracts_export(contracts_of(session, principal)),
                           chosen_format())
