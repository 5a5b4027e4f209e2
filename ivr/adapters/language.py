"""Mandarin for the engine's language port, on the text functions of `ivr.mandarin`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ivr.engine.language import Match, NotUnderstood, Reply, SlotValue


class MandarinLanguage:
    """The language port for Mandarin callers: slot values, replies, keywords, forms of address."""

    def slot(self, kind: str, text: str) -> SlotValue | NotUnderstood:
        from ivr.mandarin import confirm, numbers, readback, surnames
        from ivr.mandarin.text import without_fillers

        if kind == "phone":
            found = numbers.phone(text)
            if isinstance(found, str):
                return NotUnderstood("not a phone number" if found == "no digits" else found)
            return SlotValue(found.digits, readback.read_back(found.digits), {"kind": found.kind})
        if kind == "digits":
            digits = numbers.digits(text)
            return SlotValue(digits, readback.read_back(digits)) if digits else NotUnderstood("no digits")
        if kind == "surname":
            named = surnames.extract(text)
            if named is None:
                return NotUnderstood("no surname")
            return SlotValue(
                named.surname, surnames.spelled(named.surname), {"title": named.title} if named.title else {}
            )
        if kind == "yesno":
            reply = confirm.reply(text)
            if reply.kind in ("yes", "no"):
                return SlotValue(reply.kind, "是" if reply.kind == "yes" else "不是")
            return NotUnderstood("not a yes or a no")
        said = without_fillers(text)
        if len(said) < 2:
            return NotUnderstood("nothing said" if not said else "too short")
        return SlotValue(said, said)

    def reply(self, text: str) -> Reply:
        from ivr.mandarin.confirm import reply

        return reply(text)

    def find(self, text: str, keywords: Mapping[str, Sequence[str]]) -> list[Match]:
        from ivr.mandarin.keywords import find

        return find(text, keywords)

    def address(self, surname: str, title: str) -> str:
        from ivr.mandarin.surnames import address

        return address(surname, title)
