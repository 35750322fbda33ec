"""Card identifiers in free text: people type a CID or card number into notes,
questions and answers, whole or in groups ("8064 2000 3500 1234 5678"). Wherever
such a text is shown to someone who need not see the identifier, or sent, it goes
through `mask_text`, which cuts each to its last 4 ("…5678")."""

import re

from helpdesk.logging import mask_identifiers

# Runs of chunks that each hold a digit, joined by single spaces, dots or dashes.
_CHUNK = r"[0-9A-Za-z]*[0-9][0-9A-Za-z]*"
_CHUNKED_RUN = re.compile(
    rf"(?<![0-9A-Za-z])(?:{_CHUNK}[ .\-]){{1,12}}{_CHUNK}(?![0-9A-Za-z])"
)
_SEPARATOR = re.compile(r"([ .\-])")


def masked_identifier(identifier: str) -> str:
    """A CID or card number as lists show it: dots, then its last 4; "—" once
    erased."""
    if not identifier:
        return "—"
    return "•" * (len(identifier) - 4) + identifier[-4:]


def _is_identifier(text: str) -> bool:
    return mask_identifiers(text) != text


def _mask_run(match: re.Match) -> str:
    """Mask the longest stretches of a run's chunks that join into an identifier
    (a CID, CNP or card number); the rest of the run stays as typed."""
    parts = _SEPARATOR.split(match.group(0))
    chunks, separators = parts[0::2], parts[1::2]
    out, start = [], 0
    while start < len(chunks):
        for end in range(len(chunks), start + 1, -1):
            joined = "".join(chunks[start:end])
            if len(joined) in (13, 16, 20) and _is_identifier(joined):
                out.append("…" + joined[-4:])
                start = end
                break
        else:
            out.append(chunks[start])
            start += 1
        if start < len(chunks):
            out.append(separators[start - 1])
    return "".join(out)


def mask_text(text: str) -> str:
    """`text` with every CID, CNP or card number, whole or typed in groups, cut to
    its last 4 characters."""
    if not text:
        return text or ""
    return mask_identifiers(_CHUNKED_RUN.sub(_mask_run, text))
