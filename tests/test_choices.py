"""Choice labels (`helpdesk.choices.ChoiceLabels`): what every list shows for a
status, kind or office, in the reader's language."""

from django.utils import translation

from cards.models import CardRequest, Kind, Priority, Status
from providers.models import Office, OfficeKind


def test_labels_follow_the_active_language():
    card_request = CardRequest(status=Status.NEEDS_INFO, kind=Kind.BLOCKED)
    with translation.override("ro"):
        romanian = card_request.get_status_display()
    with translation.override("en"):
        english = card_request.get_status_display()
    assert english == str(Status.NEEDS_INFO.label)
    with translation.override("ro"):
        assert romanian == str(Status.NEEDS_INFO.label)
    assert romanian != english


def test_every_choice_has_its_label():
    with translation.override("en"):
        for status in Status:
            assert CardRequest(status=status).get_status_display() == status.label
        for kind in OfficeKind:
            assert Office(kind=kind).get_kind_display() == kind.label
        assert CardRequest(priority=Priority.URGENT).get_priority_display() == str(
            Priority.URGENT.label
        )


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert CardRequest(status="archived").get_status_display() == "archived"
    assert CardRequest(priority=7).get_priority_display() == 7
    assert CardRequest(outcome="").get_outcome_display() == ""
