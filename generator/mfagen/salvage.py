"""The cross-value checks of a file that also has type errors, so `validate` reports both at once.

A file with a bad account id, a bad preset and a user naming an unknown tier should get three
messages in one run, not two and then the third. The models refuse the first two; the third is
a rule of `rules.py`, which needs a valid Config. So a copy of the data is repaired just enough
to validate: a value the models refuse is removed (its default applies), a required one gets a
neutral stand-in, an entry whose key the models refuse goes, and so does a list item (the
findings about later items are moved back to where the file has them). The checks then run on
that copy, and what they find is kept unless it is drawn from a repaired place
(`rules.Finding.drawn_from`): the type errors describe those, and a stand-in or a default in
place of a refused value must not feed a finding of its own.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from mfagen import rules
from mfagen.loader import Loc
from mfagen.models import Config

_ROUNDS = 4
"""Repairing one value can reveal another error beneath it (a mapping in place of a list)."""
_ENTRIES = ("accounts", "tiers", "users")
"""Mappings of named entries: one that cannot be repaired is removed (a finding that names it
rests on it: `rules._references`)."""
_STAND_INS: dict[str, Any] = {"version": 1, "organization": "mfagen-repaired", "type": "local"}
"""Neutral values for required keys; account ids are made unique (`_stand_in`)."""
_DROP = object()


class _CannotRepairError(Exception):
    """Nothing sensible is left to check (the accounts themselves, or the whole file)."""


class _Repairs:
    def __init__(self) -> None:
        self.places: set[Loc] = set()
        """What was repaired, where the file has it."""
        self.removed: dict[Loc, set[int]] = {}
        """A list, where the file has it -> the indexes of the items removed from it."""
        self.ids = 0

    def in_file(self, loc: Loc) -> Loc:
        """A place in the repaired data -> where the file has it: each item removed from a
        list moves the later ones up by one."""
        place: list[str | int] = []
        for part in loc:
            if isinstance(part, int):
                place.append(_moved(part, self.removed.get(tuple(place), set())))
            else:
                place.append(part)
        return tuple(place)

    def mark(self, loc: Loc, *, removed: bool = False) -> None:
        """`loc` (in the repaired data) is repaired; `removed`: it is a list item, taken out."""
        place = self.in_file(loc)
        self.places.add(place)
        if removed:
            self.removed.setdefault(place[:-1], set()).add(int(place[-1]))

    def placed(self, finding: rules.Finding) -> rules.Finding:
        """`finding`, with its places where the file has them."""
        return dataclasses.replace(
            finding,
            loc=self.in_file(finding.loc),
            rests_on=tuple(self.in_file(loc) for loc in finding.rests_on),
        )


def _moved(index: int, removed: set[int]) -> int:
    """Where item `index` of a list, once `removed` (indexes in the file) are taken out, is
    in the file."""
    for gone in sorted(removed):
        if gone > index:
            break
        index += 1
    return index


def findings(
    data: Any, errors: Iterable[ErrorDetails], doubtful: Collection[Loc] = ()
) -> rules.Findings:
    """What `rules.run` finds beyond the type errors `errors` of `data`, but nothing drawn
    from a repaired place or from one of `doubtful` (nothing at all when the data cannot be
    repaired into a Config)."""
    repairs = _Repairs()
    data = copy.deepcopy(data)
    pending = list(errors)
    try:
        for _ in range(_ROUNDS):
            # in one round every loc is in the same (unpurged) data: deeper and later first,
            # so the items a repair removes from a list come after those already placed
            for error in sorted(pending, key=lambda e: _order(tuple(e["loc"])), reverse=True):
                _repair(data, tuple(error["loc"]), error["type"], repairs)
            _purge(data)
            try:
                config = Config.model_validate(data)
            except ValidationError as exc:
                pending = exc.errors()
                continue
            found = rules.run(config)
            placed = rules.Findings(
                [repairs.placed(f) for f in found.errors],
                [repairs.placed(f) for f in found.warnings],
            )
            return placed.sparing(repairs.places | set(doubtful))
    except _CannotRepairError:
        pass
    return rules.Findings()


def _order(loc: Loc) -> tuple[Any, ...]:
    """Deeper places first, and later list items first, so repairs do not move each other."""
    return (len(loc), tuple(str(part) if isinstance(part, str) else f"{part:09d}" for part in loc))


def _repair(data: Any, loc: Loc, kind: str, repairs: _Repairs) -> None:
    if "[key]" in loc:  # the key itself is refused: the entry goes
        _remove_entry(data, loc[: loc.index("[key]")], repairs)
        return
    if not loc or not isinstance(data, dict):
        raise _CannotRepairError
    parent = _at(data, loc[:-1])
    if parent is None:
        return  # an earlier repair removed what held it
    last = loc[-1]
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if parent[last] is not _DROP:  # two errors about one item: it goes once
            repairs.mark(loc, removed=True)
            parent[last] = _DROP
        return
    repairs.mark(loc)
    if isinstance(parent, dict) and isinstance(last, str):
        required = last in _STAND_INS or (last == "id" and loc[:1] == ("accounts",))
        if last == "accounts" and len(loc) == 1:
            raise _CannotRepairError
        if required:
            parent[last] = _stand_in(last, repairs)
        elif kind == "missing" or (len(loc) == 2 and loc[0] in _ENTRIES):
            _remove_entry(data, loc if len(loc) == 2 else loc[:-1], repairs)
        else:
            parent.pop(last, None)
    else:  # what holds it is itself of the wrong type: repair that instead
        _repair(data, loc[:-1], kind, repairs)


def _stand_in(key: str, repairs: _Repairs) -> Any:
    if key == "id":
        repairs.ids += 1
        return f"{999_000_000_000 + repairs.ids:012d}"
    return _STAND_INS[key]


def _remove_entry(data: Any, loc: Loc, repairs: _Repairs) -> None:
    """Remove a named entry (an account, tier or user); other removals are not meaningful."""
    if len(loc) != 2 or loc[0] not in _ENTRIES:
        if len(loc) > 2 and loc[0] in _ENTRIES:
            _remove_entry(data, loc[:2], repairs)
            return
        raise _CannotRepairError
    entries = data.get(loc[0]) if isinstance(data, dict) else None
    if isinstance(entries, dict):
        entries.pop(loc[1], None)
        if loc[0] == "accounts" and not entries:
            raise _CannotRepairError
    repairs.mark(loc)


def _at(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:  # noqa: SIM114 - apart for the types
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _purge(data: Any) -> None:
    """Take the items marked _DROP out of every list."""
    if isinstance(data, dict):
        for value in data.values():
            _purge(value)
    elif isinstance(data, list):
        data[:] = [item for item in data if item is not _DROP]
        for item in data:
            _purge(item)
