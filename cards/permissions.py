"""Who may do what: a literal table of action → roles, plus the scope rules.

Nothing else in the code base reads `person.role` to decide a permission. Whether
a request is visible at all is decided by `cards.selectors.card_requests_visible_to`;
the functions here assume the caller has already fetched it through that scope.
"""

from enum import StrEnum

from cards.exceptions import PermissionDenied
from cards.models import CardRequest
from providers.models import Person, Role


class Action(StrEnum):
    FILE = "file"
    VIEW_IDENTIFIER = "view_identifier"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    ASK_INFO = "ask_info"
    GIVE_INFO = "give_info"
    RESOLVE = "resolve"
    REJECT = "reject"
    TRANSFER = "transfer"
    CONFIRM = "confirm"
    LOG_CALL = "log_call"
    LIST_CALLS = "list_calls"
    LOOKUP_PROVIDERS = "lookup_providers"
    # Pages: the provider portal, and the CAS staff pages (queue, request desk).
    USE_PORTAL = "use_portal"
    USE_CAS_DESK = "use_cas_desk"
    # Reading who was shown a request's full identifier (the access records).
    VIEW_ACCESS_RECORDS = "view_access_records"
    # Running a house: giving a request to a specialist, the workload, the reports
    # and exports, and the offices' target times, hours and contact data.
    REASSIGN = "reassign"
    VIEW_REPORTS = "view_reports"
    MANAGE_OFFICES = "manage_offices"
    # Writing the help articles (the knowledge base).
    MANAGE_ARTICLES = "manage_articles"


AGENT = Role.PROVIDER_AGENT
OPERATOR = Role.PHONE_OPERATOR
SPECIALIST = Role.SPECIALIST
SUPERVISOR = Role.SUPERVISOR
ADMIN = Role.NATIONAL_ADMIN

ROLES_FOR_ACTION: dict[Action, frozenset[str]] = {
    Action.FILE: frozenset({AGENT, OPERATOR, ADMIN}),
    Action.VIEW_IDENTIFIER: frozenset({AGENT, SPECIALIST, SUPERVISOR, ADMIN}),
    Action.CLAIM: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.UNCLAIM: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.ASK_INFO: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.GIVE_INFO: frozenset({AGENT, OPERATOR, ADMIN}),
    Action.RESOLVE: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.REJECT: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.TRANSFER: frozenset({SPECIALIST, SUPERVISOR, ADMIN}),
    Action.CONFIRM: frozenset({AGENT, ADMIN}),
    Action.LOG_CALL: frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    Action.LIST_CALLS: frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    Action.LOOKUP_PROVIDERS: frozenset({OPERATOR, SPECIALIST, SUPERVISOR, ADMIN}),
    Action.USE_PORTAL: frozenset({AGENT}),
    Action.USE_CAS_DESK: frozenset({OPERATOR, SPECIALIST, SUPERVISOR, ADMIN}),
    Action.VIEW_ACCESS_RECORDS: frozenset({SUPERVISOR, ADMIN}),
    Action.REASSIGN: frozenset({SUPERVISOR, ADMIN}),
    Action.VIEW_REPORTS: frozenset({SUPERVISOR, ADMIN}),
    Action.MANAGE_OFFICES: frozenset({SUPERVISOR, ADMIN}),
    Action.MANAGE_ARTICLES: frozenset({ADMIN}),
}

# Actions on a claimed request that only its assignee (or a supervisor) may take.
ASSIGNEE_ACTIONS = frozenset(
    {Action.UNCLAIM, Action.ASK_INFO, Action.RESOLVE, Action.REJECT, Action.TRANSFER}
)


def has_role_for(actor: Person, action: Action) -> bool:
    """True when the actor's role may take this action somewhere."""
    return actor.is_active and actor.role in ROLES_FOR_ACTION[action]


def works_queue_of(actor: Person, card_request: CardRequest) -> bool:
    """True when the request sits in a queue the actor works (not merely sees)."""
    if actor.role == ADMIN:
        return True
    if actor.role == SPECIALIST:
        return card_request.house_id == actor.house_id and any(
            office.pk == card_request.office_id for office in actor.offices.all()
        )
    if actor.role in (SUPERVISOR, OPERATOR):
        return card_request.house_id == actor.house_id
    return False


def can(actor: Person, action: Action, card_request: CardRequest | None = None) -> bool:
    """The one permission decision: role table, then scope and assignment rules."""
    if not has_role_for(actor, action):
        return False
    if card_request is None:
        return True
    if actor.role == AGENT:
        return card_request.provider_id == actor.provider_id
    if action == Action.VIEW_IDENTIFIER:
        return card_request.assignee_id == actor.pk
    if not works_queue_of(actor, card_request):
        return False
    if (
        action in ASSIGNEE_ACTIONS
        and actor.role == SPECIALIST
        and card_request.assignee_id is not None
    ):
        return card_request.assignee_id == actor.pk
    return True


def can_in_house(actor: Person, action: Action, house_id: int | None) -> bool:
    """The permission for a house-wide action (reports, workload, offices): the
    role table, then the house: a national admin's is any, anyone else's their
    own."""
    if not has_role_for(actor, action) or house_id is None:
        return False
    return actor.role == ADMIN or house_id == actor.house_id


def ensure_can(
    actor: Person, action: Action, card_request: CardRequest | None = None
) -> None:
    """Raise PermissionDenied unless `can` allows the action."""
    if not can(actor, action, card_request):
        raise PermissionDenied(action=action)


# The page each role lands on after signing in (URL names).
HOME_PAGE: dict[str, str] = {
    AGENT: "portal:requests",
    OPERATOR: "console:home",
    SPECIALIST: "queue:home",
    SUPERVISOR: "queue:home",
    ADMIN: "queue:home",
}


def home_page_for(actor: Person) -> str:
    """The URL name of the actor's home page."""
    return HOME_PAGE[actor.role]
