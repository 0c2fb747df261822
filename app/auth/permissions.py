"""What each role may do, declared in one table (DOMAIN.md section 9). Services call
`authorize` before acting; what a role may *see* is app.auth.scope's business.

A role missing from an action's set may never do it: 403, whatever the record. A role that may
do it, asking about a record outside its scope, gets 404 from the scope instead.
"""

from dataclasses import dataclass

from app.auth.principal import Principal
from app.core.errors import Forbidden


@dataclass(frozen=True)
class Permission:
    roles: frozenset[str]
    description: str  # completes "role 'x' may not ..."


def _allow(description: str, *roles: str) -> Permission:
    return Permission(frozenset(roles), description)


PERMISSIONS: dict[str, Permission] = {
    "organisations.create": _allow("create organisations", "admin"),
    "contracts.create": _allow("create contracts", "admin"),
    # A prime manager runs its own supply chain: the milestone schedule and whether its league
    # table is shown named or anonymised to subcontractors.
    "contracts.update": _allow("change contracts", "admin", "prime_manager"),
    # The tariff (the DWP's price) and the thresholds the prime itself is judged by (Merlin flags,
    # case-mix benchmarks, ranking) are not the prime's to set.
    "contracts.configure": _allow("change contract tariffs or compliance settings", "admin"),
    "members.manage": _allow("manage supply-chain members", "admin", "prime_manager"),
    # Membership needs both sides: a prime manager invites and the organisation accepts
    # (app.supply_chain.invitations); only an admin adds a member without its acceptance.
    "members.add": _allow("add members without their acceptance", "admin"),
    "invitations.read": _allow("read membership invitations", "admin", "prime_manager",
                               "provider_user"),
    # The invited organisation's own users (a prime may be invited into another's chain).
    "invitations.answer": _allow("accept or decline membership invitations", "prime_manager",
                                 "provider_user"),
    "join_codes.manage": _allow("manage join codes", "admin", "prime_manager", "provider_user"),
    "payments.record": _allow("record payments", "admin", "prime_manager"),
    # An organisation runs its own accounts (issue 15, self-service): its users create, list,
    # deactivate and reactivate the accounts of their own organisation carrying a role they
    # could grant (GRANTABLE_ROLES; app.auth.scope.users), as they hold its API keys. A
    # subcontractor has no "manager" role of its own, so its provider users do it.
    "users.create": _allow("create users", "admin", "prime_manager", "provider_user"),
    "users.read": _allow("list users", "admin", "prime_manager", "provider_user"),
    "users.activation": _allow("deactivate or reactivate users", "admin", "prime_manager",
                               "provider_user"),
    # Whoever sets a password can sign in as that user: the admin's alone.
    "users.manage": _allow("reset the password of users", "admin"),
    "api_keys.manage": _allow("manage API keys", "admin", "prime_manager", "provider_user"),
    "events.submit": _allow("submit events", "admin", "prime_manager", "provider_user"),
    "events.read": _allow("read events", "admin", "prime_manager", "provider_user"),
    # Participant-level, like events: reviewers read specialist usage as aggregates only.
    "specialist_referrals.read": _allow("read specialist referrals", "admin", "prime_manager",
                                        "provider_user"),
    # Reviewers read the entries about what they may see (app.auth.scope.audit_entries).
    "audit.read": _allow("read the audit log", "admin", "reviewer"),
    # -- complaints (app.complaints; DOMAIN.md section 8) ----------------------------------------
    # Only supply-chain members complain: a provider user of a member organisation (the service
    # refuses the prime's own staff). Who may make which transition is the workflow's business.
    "complaints.raise": _allow("raise complaints", "provider_user"),
    "complaints.read": _allow("read complaints", "admin", "prime_manager", "provider_user",
                              "reviewer"),
    "complaints.message": _allow("post messages on complaints", "admin", "prime_manager",
                                 "provider_user", "reviewer"),
    "complaints.transition": _allow("move complaints through their procedure", "admin",
                                    "prime_manager", "provider_user", "reviewer"),
    "complaints.confidentiality": _allow("lift a complaint's confidentiality", "admin",
                                         "provider_user"),
    # -- end of complaints -----------------------------------------------------------------------
    # -- the performance regime (app.performance.ratings; DOMAIN.md section 11) --
    # The prime publishes its contracts' quarterly ratings; everyone in the contract reads
    # them (a subcontractor its own row named, the others anonymised), reviewers all.
    "ratings.publish": _allow("publish ratings", "admin", "prime_manager"),
    "ratings.read": _allow("read published ratings", "admin", "prime_manager",
                           "provider_user", "reviewer"),
    # Improvement plans (app.regime.plans): the prime opens them; the prime and the member
    # act on them (the workflow says who may make which move); reviewers read them all.
    "plans.open": _allow("open improvement plans", "admin", "prime_manager"),
    "plans.act": _allow("act on improvement plans", "admin", "prime_manager",
                        "provider_user"),
    "plans.read": _allow("read improvement plans", "admin", "prime_manager", "provider_user",
                         "reviewer"),
    # Reallocation (app.regime.reallocation): the prime proposes and applies; the reviewer,
    # who alone sees every complaint, releases or blocks a held cut (the admin does not: the
    # hold protects members whose complaints are confidential).
    "reallocations.apply": _allow("reallocate contracted shares", "admin", "prime_manager"),
    "reallocations.read": _allow("read reallocations", "admin", "prime_manager", "reviewer"),
    "reallocations.review": _allow("release or block held reallocations", "reviewer"),
    # -- compliance flags (app.compliance) --
    # Everyone reads flags within their scope (app.auth.scope); reviewers read, never change.
    "compliance_flags.read": _allow("read compliance flags", "admin", "prime_manager",
                                    "provider_user", "reviewer"),
    # The prime answers for its own conduct: it acknowledges or resolves its contracts' flags.
    "compliance_flags.update": _allow("change the status of compliance flags", "admin",
                                      "prime_manager"),
}

# The roles a principal may put on an API key or a new user's account: its own or one with
# fewer rights, never more. A prime manager's in-house delivery staff are provider users of the
# same organisation.
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "prime_manager", "provider_user", "reviewer"}),
    "prime_manager": frozenset({"prime_manager", "provider_user"}),
    "provider_user": frozenset({"provider_user"}),
    "reviewer": frozenset(),
}

# Settings a prime manager may change on its own contract (the rest need contracts.configure).
# The prime decides whether subcontractors see its league table named, so also how coarsely
# the anonymised rows are shown (k of their k-anonymity): a named table reveals more than any k.
# It passes its own minimum performance level down its chain (DOMAIN.md section 11): the
# performance index it expects of members by default (each member's own is its too).
PRIME_EDITABLE_SETTINGS = frozenset({"league_visibility", "league_k_anonymity",
                                     "min_performance_index"})


def may(principal: Principal, action: str) -> bool:
    return principal.role in PERMISSIONS[action].roles


def authorize(principal: Principal, action: str) -> None:
    if not may(principal, action):
        raise Forbidden(f"role '{principal.role}' may not {PERMISSIONS[action].description}")
