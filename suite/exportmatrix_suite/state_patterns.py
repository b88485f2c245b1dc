"""What a `mutates` entry matches, and what the eager check says when the
entries and the eager run disagree. The one place this rule lives: the
declaration's validation (declare._problems) and the eager check
(declare.mutates_problem) both use it. Torch-free.

An entry is a kind, as the classifier names state ("buffer", "parameter",
"attribute", "input", "global", "closure", "class attribute"), a space, and
a name. The kind is always literal. The name is dotted for a submodule
("buffer norm.running_mean") and may be a pattern:

- `*` stands for any characters within one dotted component: "buffer
  *.running_mean" matches "buffer bn.running_mean" but not "buffer
  layer1.0.bn1.running_mean"; "buffer bn*.running_*" works too;
- a component that is `**` stands for any number of components, none
  included: "buffer net.**" matches net's buffers at any depth, "buffer
  **.num_batches_tracked" every BatchNorm's counter, "buffer **" every
  buffer.

`*` is the only wildcard; every other character stands for itself. An entry
without one names exactly one state. An input's name is its position (or a
pattern of it: "input *").

The eager check asks two things: every name the eager run changed is
matched by some entry, and every entry matches at least one changed name. A
name that a pattern matches but that did not change is fine (a BatchNorm
whose running_mean stays put at a small input)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from exportmatrix_suite.classify import INPUT_KIND, MODULE_STATE_KINDS, STATE_KINDS

WILDCARD = "*"
ANY_DEPTH = "**"
MOST_ENTRIES_SHOWN = 4  # entries named on one line of the eager check's message
MOST_GROUPS_SHOWN = 4  # lines of names that no entry matches
EXAMPLES = 2  # names shown in such a line


def split_entry(entry: str) -> Optional[Tuple[str, str]]:
    """(kind, name) of an entry ("class attribute calls" -> ("class
    attribute", "calls")), or None when its kind is none the classifier
    knows or it has no name."""
    for kind in sorted(STATE_KINDS, key=len, reverse=True):
        if entry.startswith(kind + " ") and entry[len(kind) + 1 :].strip():
            return kind, entry[len(kind) + 1 :]
    return None


def is_pattern(entry: str) -> bool:
    return WILDCARD in entry


def entry_problem(entry: object) -> Optional[str]:
    """Why `entry` is not a valid `mutates` entry, naming it; None when it is."""
    kinds = ", ".join(repr(kind + " …") for kind in STATE_KINDS)
    split = split_entry(entry) if isinstance(entry, str) else None
    if split is None:
        return "mutates names %r, whose kind is none of %s" % (entry, kinds)
    kind, name = split
    components = name.split(".")
    if not is_pattern(name):
        if kind == INPUT_KIND and not name.isdigit():
            return "mutates names %r, whose kind is none of %s (an input is named by its position)" % (entry, kinds)
        if kind in MODULE_STATE_KINDS and not all(components):
            return "mutates names %r: an empty component (two dots, or a dot at an end)" % entry
        return None
    if name != name.strip() or any(space in name for space in " \t\n"):
        return "mutates pattern %r: a pattern has no spaces in its name" % entry
    if not all(components):
        return "mutates pattern %r: an empty component (two dots, or a dot at an end)" % entry
    for component in components:
        if ANY_DEPTH in component and component != ANY_DEPTH:
            return "mutates pattern %r: ** must be a whole component (as in 'buffer net.**'), not %r" % (
                entry,
                component,
            )
    if any(a == b == ANY_DEPTH for a, b in zip(components, components[1:])):
        return "mutates pattern %r: ** twice in a row (one ** already spans any depth)" % entry
    if kind == INPUT_KIND and (len(components) != 1 or not re.fullmatch(r"[0-9*]+", name)):
        return "mutates pattern %r: an input is named by its position: digits and * only ('input *')" % entry
    return None


def _component(component: str) -> str:
    return "[^.]*".join(re.escape(part) for part in component.split(WILDCARD))


def _regex(name: str) -> str:
    components = name.split(".")
    if components == [ANY_DEPTH]:
        return ".+"
    out = ""
    for index, component in enumerate(components):
        if component == ANY_DEPTH:
            out += r"(?:[^.]+\.)*" if index == 0 else r"(?:\.[^.]+)*"
        else:
            after_leading_any = index == 1 and components[0] == ANY_DEPTH
            out += ("" if index == 0 or after_leading_any else r"\.") + _component(component)
    return out


def matches(entry: str, state_name: str) -> bool:
    """Whether the `mutates` entry names this state ("buffer *.running_mean"
    and "buffer bn.running_mean": yes). The kinds must be equal."""
    split, other = split_entry(entry), split_entry(state_name)
    if split is None or other is None or split[0] != other[0]:
        return False
    if not is_pattern(split[1]):
        return split[1] == other[1]
    return re.fullmatch(_regex(split[1]), other[1]) is not None


@dataclass
class Comparison:
    """What the entries of `mutates` matched among the names the eager run changed."""

    changed: List[str]  # sorted, each once
    matched: Dict[str, List[str]] = field(default_factory=dict)  # entry -> changed names it matches, in entry order
    unmatched: List[str] = field(default_factory=list)  # changed names no entry matches
    unused: List[str] = field(default_factory=list)  # entries matching no changed name

    @property
    def agrees(self) -> bool:
        return not self.unmatched and not self.unused


def compare(entries: Sequence[str], changed: Sequence[str]) -> Comparison:
    found = Comparison(sorted(set(changed)))
    for entry in dict.fromkeys(entries):
        names = [name for name in found.changed if matches(entry, name)]
        if names:
            found.matched[entry] = names
        else:
            found.unused.append(entry)
    covered = {name for names in found.matched.values() for name in names}
    found.unmatched = [name for name in found.changed if name not in covered]
    return found


def _names(count: int) -> str:
    return "%d name%s" % (count, "" if count == 1 else "s")


def _listed(items: List[str], most: int, what: str) -> str:
    shown = ", ".join(items[:most])
    return shown + (" and %d more %s" % (len(items) - most, what) if len(items) > most else "")


def _groups(names: List[str]) -> List[Tuple[str, List[str]]]:
    """Names no entry matches, in groups, largest first, each with a pattern
    that would match it: names of one kind and one last component at any
    depth ("buffer **.num_batches_tracked"); of the rest, names of one kind
    beside each other ("attribute *", "buffer cache.*"); a name alone as it is."""
    split = {name: split_entry(name) or ("", name) for name in names}
    by_last: Dict[Tuple[str, str], List[str]] = {}
    for name in names:
        kind, dotted = split[name]
        by_last.setdefault((kind, dotted.rsplit(".", 1)[-1]), []).append(name)
    groups = [("%s **.%s" % key, members) for key, members in by_last.items() if len(members) > 1]
    by_parent: Dict[Tuple[str, str], List[str]] = {}
    for members in by_last.values():
        if len(members) == 1:
            kind, dotted = split[members[0]]
            parent = dotted.rsplit(".", 1)[0] + "." if "." in dotted else ""
            by_parent.setdefault((kind, parent), []).append(members[0])
    for (kind, parent), members in by_parent.items():
        groups.append((members[0] if len(members) == 1 else "%s %s*" % (kind, parent), members))
    return sorted(groups, key=lambda group: -len(group[1]))


def summary(found: Comparison) -> str:
    """The first line of the check's message: what disagrees, counted (the
    environment's status names the behaviour beside it)."""
    count = len(found.unused)
    unused = "%d entr%s" % (count, "y" if count == 1 else "ies")
    if not found.changed:
        return "mutates does not match the eager run: it changed nothing, where mutates has %s" % unused
    parts = []
    if len(found.unmatched) == len(found.changed):
        many = len(found.changed) > 1
        parts.append(
            "no entry matches %s"
            % ("any of the %d names it changed" % len(found.changed) if many else "the name it changed")
        )
    elif found.unmatched:
        parts.append(
            "%d of the %s it changed match%s no entry"
            % (len(found.unmatched), _names(len(found.changed)), "es" if len(found.unmatched) == 1 else "")
        )
    if found.unused:
        parts.append("%s match%s nothing it changed" % (unused, "es" if count == 1 else ""))
    return "mutates does not match the eager run: " + "; ".join(parts)


def describe(found: Comparison) -> List[str]:
    """The check's message, grouped by entry and by kind of name, with counts:
    at most about ten lines whatever the model (a summary line, then what
    each entry matched, the names no entry matches in groups, and the entries
    that match nothing). Empty when the entries and the run agree."""
    if found.agrees:
        return []
    lines = [summary(found)]
    if found.matched:
        counted = ["%r matched %d" % (entry, len(names)) for entry, names in found.matched.items()]
        lines.append(
            "  it changed %s: %s" % (_names(len(found.changed)), _listed(counted, MOST_ENTRIES_SHOWN, "entries"))
        )
    if found.unmatched:
        lines.append("  matching no entry (%d):" % len(found.unmatched))
        groups = _groups(found.unmatched)
        shown = groups if len(groups) <= MOST_GROUPS_SHOWN else groups[: MOST_GROUPS_SHOWN - 1]
        for pattern, members in shown:
            if len(members) == 1:
                lines.append("    %r" % members[0])
                continue
            examples = ", ".join(map(repr, members[:EXAMPLES])) + (", …" if len(members) > EXAMPLES else "")
            lines.append("    %d like %r: %s" % (len(members), pattern, examples))
        rest = groups[len(shown) :]
        if rest:
            lines.append(
                "    ... and %d more in %d more groups, e.g. %r"
                % (sum(len(members) for _, members in rest), len(rest), rest[0][1][0])
            )
    if found.unused:
        lines.append(
            "  matching nothing it changed: %s"
            % _listed([repr(e) for e in found.unused], MOST_ENTRIES_SHOWN, "entries")
        )
    return lines
