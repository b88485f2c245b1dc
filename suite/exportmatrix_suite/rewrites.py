"""Whether each rewrite a behaviour names computes what the behaviour does, in
eager: the check the plugin runs once per environment, before any test.

A behaviour may name its portable rewrites (@behaviour(..., rewrites=...)):
other behaviours that compute the same thing in a form export handles (a
tensor attribute kept as a buffer and updated with copy_, a Python counter
kept in a buffer). A rewrite is equivalent when, run eagerly on the
original's inputs as a cell's eager side runs (a fresh seeded instance, its
warm-up calls, CALLS calls each seeded, its own step between them):

- each call's output is the same (classify.difference: dtype, shape, every
  element by the number rule);
- after each call, every state the original declares in `mutates` has the
  same values as its counterpart in the rewrite, and every state the rewrite
  declares has the same values as its counterpart in the original.

A state's counterpart is the state of the same name on the other side,
whatever its kind ("attribute a" and "buffer a"); where the names differ the
original pairs them: rewrites={"buffer.non_persistent": {"attribute calls":
"buffer steps"}}. Values are compared as values: two tensors, or two values
of one form, by classify.difference; a Python number (or a list, tuple or
dict of them) and a tensor by their numbers in flat order (the counter 2 and
the buffer tensor([2.]) agree). A state missing on one side (never created,
or deleted) agrees only with a state missing on the other.

A rewrite that is not equivalent, or that names no declared behaviour, is a
failure naming both behaviours: the plugin writes it as a `failure` line
(the environment is then checks-failed) and each behaviour's declaration
record carries what was found (`rewrites_checked`: rewrite id -> verdict).
Torch is needed only by the behaviours themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from exportmatrix_suite.classify import CALLS, INPUT_KIND, MISSING, _same_number, describe, difference, freeze, snapshot
from exportmatrix_suite.declare import REGISTRY, REWRITES_CHECKED, Rewrite
from exportmatrix_suite.state_patterns import matches, split_entry

DEVICE = "cpu"  # eager on the CPU: the same computation on every machine
TEST = "exportmatrix_suite/rewrites.py::eager_equivalence"  # the node id its lines name

EQUIVALENT = "equivalent"
NOT_EQUIVALENT = "not equivalent"
UNAVAILABLE = "unavailable"  # one of the two cannot be expressed in this release (its cells are unsupported)
UNKNOWN = "unknown behaviour"  # the rewrite names no declared behaviour

Observed = Tuple[Any, Dict[str, Any]]  # a call's frozen output, and the state after it


@dataclass(frozen=True)
class Checked:
    original: str
    rewrite: str
    verdict: str
    why: Optional[str] = None  # where it is not equivalent, or why it was not checked

    @property
    def failed(self) -> bool:
        return self.verdict in (NOT_EQUIVALENT, UNKNOWN)

    def message(self) -> str:
        return "rewrite %s of behaviour %s: %s%s" % (
            self.rewrite,
            self.original,
            self.verdict,
            ": " + self.why if self.why else "",
        )


def _sides(text: str) -> str:
    """classify.difference's words for the two sides (eager, exported) as this check names them."""
    return text.replace("eager ", "original ").replace("exported ", "rewrite ")


def eager_run(behaviour: Any, args: tuple) -> List[Observed]:
    """The behaviour's eager calls on `args` (its module fresh and seeded, as a cell's eager side)."""
    behaviour.reset()
    module = behaviour.instantiate(DEVICE).module
    for _ in range(behaviour.warmup_calls):
        module(*args)
    observed = []
    for call in range(1, CALLS + 1):
        step = getattr(behaviour, "between_calls", None)
        if call > 1 and step is not None:
            step(module)
        seed = getattr(behaviour, "seed_call", None)
        if seed is not None:
            seed(call)
        output = freeze(module(*args))
        observed.append((output, snapshot(module, None, args, behaviour.extra_state(module))))
    behaviour.reset()
    return observed


def _numbers(value: Any) -> Optional[List[Any]]:
    """The numbers of a frozen value in flat order, or None where it holds something else."""
    if isinstance(value, bool):
        return [int(value)]
    if isinstance(value, (int, float)):
        return [value]
    if not isinstance(value, tuple) or not value:
        return None
    if value[0] == "tensor" and len(value) == 5:
        return None if isinstance(value[4], str) else list(value[4])
    if value[0] == "parameter" and len(value) == 3:
        return _numbers(value[1])
    if value[0] == "dict":
        items = [item for _, item in value[1]]
    elif len(value) == 2 and isinstance(value[1], tuple) and value[0] not in ("cycle", "missing"):
        items = list(value[1])
    else:
        return None
    found: List[Any] = []
    for item in items:
        numbers = _numbers(item)
        if numbers is None:
            return None
        found += numbers
    return found


def state_difference(a: Any, b: Any) -> Optional[str]:
    """None where two frozen states hold the same values (see the module's
    docstring); otherwise what differs, in classify's words."""
    found = difference(a, b)
    if found is None:
        return None
    tensors = [isinstance(v, tuple) and v[:1] in (("tensor",), ("parameter",)) for v in (a, b)]
    if all(tensors) or not any(tensors):
        return _sides(found) or "original %s, rewrite %s" % (describe(a), describe(b))
    x, y = _numbers(a), _numbers(b)
    if x is None or y is None:
        return "original %s, rewrite %s" % (describe(a), describe(b))
    if len(x) != len(y):
        return "%d values in the original, %d in the rewrite" % (len(x), len(y))
    for index, (p, q) in enumerate(zip(x, y)):
        if isinstance(p, bool) or isinstance(q, bool) or not _same_number(p, q):
            return "value %d: original %r, rewrite %r" % (index, p, q)
    return None


def _declared(entries: Sequence[str], trace: List[Observed]) -> List[str]:
    """The state names of a trace that the entries of `mutates` match, in their order."""
    names: List[str] = []
    for _, state in trace:
        names += [name for name in state if name not in names]
    return [name for entry in entries for name in names if matches(entry, name)]


def _counterpart(name: str, pairs: Dict[str, str], other: List[Observed]) -> str:
    """The name on the other side: the pair declared, else the same name of any kind there."""
    if name in pairs:
        return pairs[name]
    split = split_entry(name)
    if split is None or split[0] == INPUT_KIND:
        return name
    names: List[str] = []
    for _, state in other:
        names += [key for key in state if key not in names]
    same = [key for key in names if (split_entry(key) or ("", ""))[1] == split[1]]
    return same[0] if same else name


def compared_state(original: Any, rewrite: Any, declared: Rewrite, ours: List[Observed], theirs: List[Observed]):
    """(original's name, rewrite's name) of every state the check compares."""
    forward = dict(declared.state)
    backward = {b: a for a, b in declared.state}
    pairs = [(name, _counterpart(name, forward, theirs)) for name in _declared(original.mutates, ours)]
    pairs += [(_counterpart(name, backward, ours), name) for name in _declared(rewrite.mutates, theirs)]
    pairs += [pair for pair in declared.state if pair not in pairs]
    return list(dict.fromkeys(pairs))


def equivalence_problem(original: Any, rewrite: Any, declared: Rewrite) -> Optional[str]:
    """Where `rewrite` does not compute what `original` does in eager, or None."""
    ours = eager_run(original, original.instantiate(DEVICE).args)
    theirs = eager_run(rewrite, original.instantiate(DEVICE).args)  # the original's inputs, fresh
    for call in range(CALLS):
        found = difference(ours[call][0], theirs[call][0])
        if found is not None:
            found = _sides(found)
            return "output of call %d differs%s: original %s, rewrite %s" % (
                call + 1,
                " (%s)" % found if found else "",
                describe(ours[call][0]),
                describe(theirs[call][0]),
            )
    for a, b in compared_state(original, rewrite, declared, ours, theirs):
        for call in range(CALLS):
            found = state_difference(ours[call][1].get(a, MISSING), theirs[call][1].get(b, MISSING))
            if found is not None:
                # a name with no same-named state on the other side: perhaps it is there under another name
                unpaired = not any(b in state for _, state in theirs) or not any(a in state for _, state in ours)
                hint = " (where the names differ, pair them: rewrites={%r: {%r: ...}})" % (declared.id, a)
                return "after call %d, %s (original) and %s (rewrite) differ: %s%s" % (
                    call + 1,
                    a,
                    b,
                    found,
                    hint if unpaired and a not in dict(declared.state) else "",
                )
    return None


def check(original: Any, rewrite: Any, declared: Rewrite) -> Checked:
    """One rewrite of one behaviour, checked."""
    for side in (original, rewrite):
        reason = getattr(side, "unavailable_reason", lambda: None)()
        if reason:
            return Checked(original.id, declared.id, UNAVAILABLE, "%s: %s" % (side.id, reason))
    try:
        problem = equivalence_problem(original, rewrite, declared)
    except Exception as error:  # a behaviour that does not run: not shown equivalent
        problem = "the eager run raised %s: %s" % (type(error).__name__, error)
    if problem:
        return Checked(original.id, declared.id, NOT_EQUIVALENT, problem)
    return Checked(original.id, declared.id, EQUIVALENT)


def check_all(originals: Sequence[Any], known: Optional[Sequence[Any]] = None) -> List[Checked]:
    """Every rewrite of `originals`, each looked up among `known` (REGISTRY by
    default); records each behaviour's verdicts for its declaration record."""
    by_id = {b.id: b for b in (REGISTRY if known is None else known)}
    found = []
    for original in originals:
        for declared in getattr(original, "rewrites", ()):
            target = by_id.get(declared.id)
            if target is None:
                checked = Checked(original.id, declared.id, UNKNOWN, "no behaviour of that id is declared")
            else:
                checked = check(original, target, declared)
            REWRITES_CHECKED.setdefault(original.id, {})[declared.id] = checked.verdict
            found.append(checked)
    return found


def failure_line(checked: Checked, original: Any) -> Dict[str, Any]:
    """The `failure` line of a rewrite that is not equivalent (the plugin's failure() format)."""
    source = getattr(original, "source", None)
    return {
        "test": "%s[%s->%s]" % (TEST, checked.original, checked.rewrite),
        "phase": "call",
        "behaviour": checked.original,
        "case_file": source.file if source is not None and source.case_file else None,
        "why": checked.message(),
    }
