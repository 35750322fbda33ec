"""What the card reader's error codes mean and what the provider does next.

Source: the CAS circulars on blocked (error 15) and invalid (error 5) cards.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cards.models import Kind

# The reader codes the CAS fixes, and the kind of request each one files.
FILEABLE_CODES: dict[int, str] = {15: Kind.BLOCKED, 5: Kind.INVALID, 17: Kind.INVALID}
DEFAULT_CODE_FOR_KIND: dict[str, int] = {Kind.BLOCKED: 15, Kind.INVALID: 5}
RESET_PIN = "0000"


@dataclass(frozen=True)
class ReaderError:
    code: int
    meaning: Promise
    advice: Promise


READER_ERRORS: dict[int, ReaderError] = {
    error.code: error
    for error in (
        ReaderError(
            15,
            _("Card blocked."),
            _(
                "File a blocked-card request with the CID. After the CAS unblocks the "
                "card, run the PIN reset on the reader."
            ),
        ),
        ReaderError(
            5,
            _("Card invalid."),
            _("File an invalid-card request with the card number."),
        ),
        ReaderError(
            17,
            _("Card invalid."),
            _("File an invalid-card request with the card number."),
        ),
        ReaderError(
            14,
            _("Wrong PIN."),
            _(
                "The reader shows how many tries are left; the fifth wrong PIN blocks "
                "the card (error 15). Nothing to file yet."
            ),
        ),
        ReaderError(
            21,
            _("Card not activated."),
            _(
                "Activate the card on the reader with the transport PIN from the "
                "letter that came with the card. The CAS is not needed."
            ),
        ),
        ReaderError(
            36,
            _("PIN reset not confirmed."),
            _(
                "The CAS has not unblocked the card yet: check the open request for "
                "this card and wait for its answer."
            ),
        ),
        ReaderError(
            37,
            _("PIN reset tried on a card that is not blocked."),
            _("The card is not blocked: use it with its PIN. Nothing to file."),
        ),
        ReaderError(
            41,
            _("Wrong reset PIN."),
            _("The reset PIN is always 0000 (four zeros). Try the reset again."),
        ),
        ReaderError(
            13,
            _("Card reader not enrolled."),
            _(
                "This is about the reader or the provider's contract data, not the "
                "card: contact your medical software supplier or your house's "
                "contracts office."
            ),
        ),
        *(
            ReaderError(
                code,
                _("Central system unavailable."),
                _("The national card system is not answering: try again later."),
            )
            for code in (3, 29, 44)
        ),
        *(
            ReaderError(
                code,
                _("Card reader hardware error."),
                _(
                    "Check the reader's cable and power, restart it, and call the "
                    "reader's supplier if it persists. The card is not at fault."
                ),
            )
            for code in (8, 9, 10)
        ),
    )
}


def pin_reset_steps() -> list[Promise]:
    """The steps the on-site agent runs after the CAS unblocked a card, in order."""
    return [
        _(
            "Insert the card in the reader and enter the PIN: the reader says the "
            "card is blocked."
        ),
        _("Open the Patients window from the File menu."),
        _(
            "Press Reset PIN eCard. When the terminal asks for the reset PIN, enter "
            "0000 (four zeros). The card's PIN is now 0000."
        ),
        _("Press Change PIN eCard."),
        _("The terminal asks for the current PIN: enter 0000 and press accept."),
        _("Enter the new PIN the patient chooses and press accept."),
        _("The terminal asks to confirm the new PIN: enter it again."),
        _("Press accept: the terminal shows that the PIN was changed successfully."),
    ]


def invalid_card_instructions() -> Promise:
    return _(
        "The card works again with the PIN the patient set when activating it. "
        "There is nothing to run on the reader."
    )


FORGOTTEN_PIN_RULE = _(
    "A patient who forgot the PIN of an activated card has 5 tries; after the fifth "
    "wrong PIN the card blocks and the blocked-card procedure applies."
)


def instructions_for(kind: str) -> dict:
    """What the on-site agent does once the request is resolved."""
    if kind == Kind.BLOCKED:
        return {
            "title": str(_("Run the PIN reset on the card reader")),
            "steps": [str(step) for step in pin_reset_steps()],
        }
    return {
        "title": str(_("The card works again")),
        "steps": [str(invalid_card_instructions())],
    }
