from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.masking import masked_identifier
from helpdesk.choices import ChoiceLabels
from providers.models import House, Location, Office, Provider


class Kind(models.TextChoices):
    BLOCKED = "blocked", _("Blocked card (error 15)")
    INVALID = "invalid", _("Invalid card (error 5 or 17)")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    NEEDS_INFO = "needs_info", _("Needs information")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")


# The only statuses a request may move to from each status. The transition helper in
# cards.services.lifecycle is the single writer of CardRequest.status.
# A status moving to itself keeps it (a transfer keeps a request new; a supervisor
# reassigning a claimed request keeps it in progress or waiting for information).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.NEW}),
    Status.IN_PROGRESS: frozenset(
        {
            Status.NEW,
            Status.IN_PROGRESS,
            Status.NEEDS_INFO,
            Status.RESOLVED,
            Status.REJECTED,
        }
    ),
    Status.NEEDS_INFO: frozenset({Status.NEW, Status.NEEDS_INFO}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.NEW}),
    Status.REJECTED: frozenset(),
    Status.CLOSED: frozenset(),
}
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.NEEDS_INFO, Status.RESOLVED)


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    PHONE = "phone", _("Phone call")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("Normal")
    URGENT = 1, _("Urgent (hospital or emergency)")


class Outcome(models.TextChoices):
    UNBLOCKED = "unblocked", _("Unblocked")
    REACTIVATED = "reactivated", _("Reactivated")


CID_REGEX = r"^[0-9]{20}$"
CARD_NUMBER_REGEX = r"^[A-Z0-9]{16}$"


class CardRequest(ChoiceLabels, models.Model):
    """A request to unblock or clear one card, in the queue of the card's house."""

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    error_code = models.PositiveSmallIntegerField(_("reader error code"))
    # The CID for a blocked card, the card number for an invalid one.
    identifier = models.CharField(_("identifier"), max_length=20)
    # A foreign key whose column leads one of the indexes below gets no index of its
    # own (every filing writes each index of the table).
    house = models.ForeignKey(
        House,
        models.PROTECT,
        related_name="card_requests",
        verbose_name=_("house"),
        db_index=False,
    )
    office = models.ForeignKey(
        Office,
        models.PROTECT,
        related_name="card_requests",
        verbose_name=_("office"),
        db_index=False,
    )
    provider = models.ForeignKey(
        Provider,
        models.PROTECT,
        related_name="card_requests",
        verbose_name=_("provider"),
        db_index=False,
    )
    location = models.ForeignKey(
        Location, models.SET_NULL, null=True, blank=True, related_name="card_requests"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="filed_card_requests"
    )
    source = models.CharField(_("source"), max_length=8, choices=Source)
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_card_requests",
        db_index=False,
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Set by the service with the instant its target time is counted from.
    created_at = models.DateTimeField(
        _("filed at"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The CAS's first step on the request (claim or assignment, question, fix,
    # rejection or transfer): the reports' time to first action.
    first_action_at = models.DateTimeField(_("first action at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # When the SLA breach was escalated to the office's supervisors (once).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # When the identifier was erased by the retention purge.
    purged_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("card request")
        verbose_name_plural = _("card requests")
        ordering = ["-priority", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "identifier"],
                condition=Q(status__in=OPEN_STATUSES),
                name="card_request_one_open_per_card",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.BLOCKED, identifier__regex=CID_REGEX)
                    | Q(kind=Kind.INVALID, identifier__regex=CARD_NUMBER_REGEX)
                    | Q(purged_at__isnull=False, identifier="")
                ),
                name="card_request_identifier_matches_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.BLOCKED, error_code=15)
                    | Q(kind=Kind.INVALID, error_code__in=[5, 17])
                ),
                name="card_request_error_code_matches_kind",
            ),
        ]
        indexes = [
            # The queue: a house's (or office's) open requests, most urgent first.
            models.Index(
                fields=["house", "status", "-priority", "due_at", "id"],
                name="card_request_queue",
            ),
            models.Index(
                fields=["office", "status", "-priority", "due_at", "id"],
                name="card_request_office_queue",
            ),
            # A provider's requests, newest first, and its counts per status (read
            # from the index alone: they grow with the provider's history).
            models.Index(
                fields=["provider", "-created_at", "id"], name="card_request_provider"
            ),
            models.Index(
                fields=["provider", "status"], name="card_request_provider_status"
            ),
            models.Index(fields=["assignee", "status"], name="card_request_assignee"),
            # The reports and exports: a period of one house's requests, or of all.
            models.Index(
                fields=["house", "created_at"], name="card_request_house_period"
            ),
            models.Index(fields=["created_at"], name="card_request_period"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def identifier_last4(self) -> str:
        return self.identifier[-4:]

    @property
    def masked_identifier(self) -> str:
        return masked_identifier(self.identifier)


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    CLAIMED = "claimed", _("Claimed")
    UNCLAIMED = "unclaimed", _("Released")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INFO_GIVEN = "info_given", _("Information given")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    TRANSFERRED = "transferred", _("Transferred")
    REASSIGNED = "reassigned", _("Reassigned")
    NOTIFIED = "notified", _("Notified")
    CONFIRMED = "confirmed", _("Confirmed: the card works")
    REOPENED = "reopened", _("Reopened: still failing")
    COMMENT = "comment", _("Comment")
    ESCALATED = "escalated", _("Escalated: target time exceeded")
    AUTO_CLOSED = "auto_closed", _("Closed: no answer from the provider")
    PURGED = "purged", _("Personal data erased")


# The CAS's own steps on a request: the first of them is its first action.
FIRST_ACTION_EVENTS = (
    EventKind.CLAIMED,
    EventKind.REASSIGNED,
    EventKind.INFO_REQUESTED,
    EventKind.RESOLVED,
    EventKind.REJECTED,
    EventKind.TRANSFERRED,
)


class Event(ChoiceLabels, models.Model):
    """One change to a request. The timeline is append-only: rows are never edited."""

    # As the request's: no index of its own where one of the indexes below leads
    # with its column.
    card_request = models.ForeignKey(
        CardRequest, models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True
    )
    from_status = models.CharField(max_length=12, choices=Status, blank=True)
    to_status = models.CharField(max_length=12, choices=Status, blank=True)
    from_house = models.ForeignKey(
        House, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    to_house = models.ForeignKey(
        House, models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["card_request", "created_at"]),
            models.Index(fields=["from_house", "kind"], name="event_transferred_from"),
            # The reports' reopen rate: is this request among the reopened ones.
            models.Index(
                fields=["card_request"],
                condition=Q(kind=EventKind.REOPENED),
                name="event_reopened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_request_id} {self.kind}"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("In the app")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Template(models.TextChoices):
    RESOLVED = "resolved", _("Request resolved")
    REJECTED = "rejected", _("Request rejected")
    INFO_REQUESTED = "info_requested", _("Information requested")
    INFO_GIVEN = "info_given", _("Information given")
    SLA_BREACHED = "sla_breached", _("Target time exceeded")


class Notification(ChoiceLabels, models.Model):
    """One message to one recipient on one channel: an outbox row, written in the
    transaction of the change it announces and delivered afterwards by a task."""

    card_request = models.ForeignKey(
        CardRequest, models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    template = models.CharField(_("template"), max_length=20, choices=Template)
    language = models.CharField(max_length=5, default="ro")
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=NotificationStatus,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_outbox"),
            models.Index(
                fields=["recipient", "channel", "read_at"], name="notification_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} #{self.pk}"


class CallReason(models.TextChoices):
    BLOCKED_CARD = "blocked_card", _("Blocked card")
    INVALID_CARD = "invalid_card", _("Invalid card")
    STATUS = "status", _("Status of a request")
    OTHER_ERROR = "other_error", _("Other reader error")
    OTHER = "other", _("Other")


class CallOutcome(models.TextChoices):
    REQUEST_FILED = "request_filed", _("Request filed")
    ANSWERED = "answered", _("Answered on the phone")
    REDIRECTED = "redirected", _("Sent to another house")
    CALLBACK = "callback", _("Call back later")
    OTHER = "other", _("Other")


class Call(ChoiceLabels, models.Model):
    """A phone call logged by an operator on a house's line."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="calls"
    )
    house = models.ForeignKey(House, models.PROTECT, related_name="calls")
    office = models.ForeignKey(
        Office, models.PROTECT, null=True, blank=True, related_name="calls"
    )
    caller_phone = models.CharField(_("caller phone"), max_length=20)
    provider = models.ForeignKey(
        Provider, models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    reason = models.CharField(
        _("reason"), max_length=16, choices=CallReason, default=CallReason.OTHER
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=CallOutcome, default=CallOutcome.OTHER
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    card_requests = models.ManyToManyField(
        CardRequest, blank=True, related_name="calls"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["house", "-started_at"], name="call_house"),
            models.Index(fields=["started_at"], name="call_period"),
        ]

    def __str__(self) -> str:
        return f"{self.house.code} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class ReferenceSequence(models.Model):
    """The last number given for a reference prefix (house code and month)."""

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last:05d}"


class IdempotencyKey(models.Model):
    """The first response to an API filing made with an Idempotency-Key header."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    card_request = models.ForeignKey(CardRequest, models.CASCADE)
    status_code = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "key"], name="idempotency_key_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.key}"


class AccessChannel(models.TextChoices):
    WEB = "web", _("Web page")
    API = "api", _("API")


class AppendOnly(Exception):
    """An access record was about to be changed or deleted: they never are."""


class IdentifierAccessQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("identifier access records are never changed")

    def delete(self):
        raise AppendOnly("identifier access records are never deleted")


class IdentifierAccess(ChoiceLabels, models.Model):
    """One showing of a request's full CID or card number to one person: who, when,
    which request, through which channel and page, from which address. Append-only,
    and it never holds the identifier itself (the purge then has nothing to erase
    here, and the record stays as evidence)."""

    # As the request's: no index of its own where one of the indexes below leads
    # with its column.
    card_request = models.ForeignKey(
        CardRequest,
        models.PROTECT,
        related_name="identifier_accesses",
        verbose_name=_("request"),
        db_index=False,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="identifier_accesses",
        verbose_name=_("person"),
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=8, choices=AccessChannel)
    # The page or API endpoint (path only: no query string).
    path = models.CharField(_("page"), max_length=200, blank=True)
    client_address = models.GenericIPAddressField(
        _("client address"), null=True, blank=True
    )
    # What a proxy said the client was (X-Forwarded-For), as received: unverified.
    forwarded_for = models.CharField(_("forwarded for"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = IdentifierAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("identifier access")
        verbose_name_plural = _("identifier accesses")
        indexes = [
            models.Index(
                fields=["card_request", "-created_at"], name="identifier_access_request"
            ),
            models.Index(
                fields=["person", "-created_at"], name="identifier_access_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_request_id} {self.person_id} {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("identifier access records are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("identifier access records are never deleted")


class Article(models.Model):
    """A page of the helpdesk's own guidance (the PIN reset, the reader errors…),
    written in Romanian and English and edited by national admins."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_ro = models.CharField(_("title (Romanian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_ro = models.TextField(_("text (Romanian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")

    def __str__(self) -> str:
        return self.title_ro

    def _in_language(self, romanian: str, english: str) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and english.strip():
            return english
        return romanian

    @property
    def title(self) -> str:
        """The title in the active language (Romanian when there is no English)."""
        return self._in_language(self.title_ro, self.title_en)

    @property
    def body(self) -> str:
        """The text in the active language (Romanian when there is no English)."""
        return self._in_language(self.body_ro, self.body_en)
