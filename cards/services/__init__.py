"""Writes: filing, every transition, notifications and calls."""

from cards.services.calls import call_log, call_log_and_file
from cards.services.lifecycle import (
    card_request_ask_info,
    card_request_auto_close,
    card_request_claim,
    card_request_confirm,
    card_request_file,
    card_request_give_info,
    card_request_reassign,
    card_request_reject,
    card_request_resolve,
    card_request_transfer,
    card_request_unclaim,
    lock_card_request,
)
from cards.services.maintenance import (
    card_requests_auto_close,
    card_requests_purge_personal_data,
)
from cards.services.notifications import (
    card_request_link,
    notification_deliver,
    notification_mark_read,
    notification_render,
    notification_subject,
    notifications_mark_all_read,
    notifications_publish,
    notifications_queue,
    notifications_sweep,
)
from cards.services.sla import card_requests_escalate, due_at_for

__all__ = [
    "call_log",
    "call_log_and_file",
    "card_request_ask_info",
    "card_request_auto_close",
    "card_request_claim",
    "card_request_confirm",
    "card_request_file",
    "card_request_give_info",
    "card_request_link",
    "card_request_reassign",
    "card_request_reject",
    "card_request_resolve",
    "card_request_transfer",
    "card_request_unclaim",
    "card_requests_auto_close",
    "card_requests_escalate",
    "card_requests_purge_personal_data",
    "due_at_for",
    "lock_card_request",
    "notification_deliver",
    "notification_mark_read",
    "notification_render",
    "notification_subject",
    "notifications_mark_all_read",
    "notifications_publish",
    "notifications_queue",
    "notifications_sweep",
]
