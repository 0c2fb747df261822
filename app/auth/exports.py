"""Users and API keys as stand-alone files (app.core.export): the rows the principal may list,
with the API's field names (GET /users, GET /api-keys); never a password hash or a key's."""

from collections.abc import Iterable

from app.core.export import Column, TableExport
from app.models import ApiKey, User

USER_EXPORT_COLUMNS = (Column("id", "integer", "User ID"), Column("username"), Column("role"),
                       Column("organisation_id", "integer", "Organisation ID"),
                       Column("organisation_name", title="Organisation"),
                       Column("is_active", "boolean", "Active"),
                       Column("created_at", "datetime"))
API_KEY_EXPORT_COLUMNS = (Column("id", title="Key ID"), Column("name"),
                          Column("prefix", title="Starts with"), Column("role"),
                          Column("organisation_id", "integer", "Organisation ID"),
                          Column("created_at", "datetime"))


def users_export(users: Iterable[User], organisation_names: dict[int, str]) -> TableExport:
    return TableExport("users", "Users", USER_EXPORT_COLUMNS, [{
        "id": u.id, "username": u.username, "role": u.role,
        "organisation_id": u.organisation_id,
        "organisation_name": organisation_names.get(u.organisation_id or 0, ""),
        "is_active": u.is_active, "created_at": u.created_at} for u in users])


def api_keys_export(keys: Iterable[ApiKey]) -> TableExport:
    return TableExport("api-keys", "API keys", API_KEY_EXPORT_COLUMNS, [{
        "id": k.public_id, "name": k.name, "prefix": k.prefix, "role": k.role,
        "organisation_id": k.organisation_id, "created_at": k.created_at} for k in keys])
