"""What matching tells people: a scenario recommended to an OPC, a policy an organization qualifies for, a
forum question a member may answer. The reasons are kept as data (the explanation, the conditions met) and
worded with the sentence, in the reader's language, when it is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.i18n import _, gettext
from community.notifications.notices import Notice


def _recommended(params: Mapping[str, Any]) -> str:
    from community.matching.views import reasons

    why = gettext("; ").join(reasons(params.get("explanation") or {}))
    return _("Recommended for you: “%(title)s”. Why: %(why)s", title=params.get("title", ""), why=why)


def _policy(params: Mapping[str, Any]) -> str:
    from community.policies.services.eligibility import Check

    met = [
        Check(str(c.get("code", "")), True, tuple((k, v) for k, v in (c.get("params") or {}).items()))
        for c in params.get("checks") or []
        if isinstance(c, dict)
    ]
    why = gettext("; ").join([c.text for c in met] or [_("Open to every organization")])
    return _("A policy you qualify for: “%(title)s”. Why: %(why)s", title=params.get("title", ""), why=why)


def _question(params: Mapping[str, Any]) -> str:
    from community.matching.questions import why

    return _(
        "A question you may be able to answer: “%(title)s”. Why: %(why)s",
        title=params.get("title", ""),
        why=why(str(params.get("source", "")), params.get("explanation") or {}),
    )


RECOMMENDED = Notice("matching.recommended", _recommended)
POLICY_QUALIFIED = Notice("policies.qualified", _policy)
QUESTION_OFFERED = Notice("forum.question_offered", _question)

NOTICES = (RECOMMENDED, POLICY_QUALIFIED, QUESTION_OFFERED)
