"""Observe one cell: run a behaviour eagerly and through an exporter, and classify.

`holds` needs two successive calls of the captured artifact whose outputs and
side effects (buffers, parameters, plain attributes, inputs, globals) equal
eager's after the same call. The state a user sees after capture + call k is
compared with eager's after call k, so side effects of capture itself count.

No torch import here: stand-in behaviours and exporters made of plain Python
prove the classification rules without depending on any release.

A behaviour offers: id, warmup_calls, instantiate(device) -> (module, args),
reset() (of state outside the module) and extra_state(module) -> {name: value}.
An exporter offers: name, lazy, detail, unavailable_reason(), capture(module, args)
-> an artifact with call, user_view and signature_mutations.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from errors import describe_error, normalise_message
from values import describe, freeze, same

CALLS = 2
MAX_DIFFERENCES = 10
MAX_WARNINGS = 10
MISSING = ("missing",)


class BehaviourBroken(Exception):
    """The eager run itself failed: a bug in the behaviour, not an observation."""


def _resolve(root: Any, dotted: str) -> Any:
    value = root
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _state_names(module: Any) -> List[Tuple[str, str]]:
    """(kind, dotted name) of everything observable on a module."""
    names: List[Tuple[str, str]] = []
    if hasattr(module, "named_modules"):
        names += [("buffer", name) for name, _ in module.named_buffers()]
        names += [("parameter", name) for name, _ in module.named_parameters()]
        for prefix, sub in module.named_modules():
            for key in vars(sub):
                if not key.startswith("_") and key != "training":
                    names.append(("attribute", prefix + "." + key if prefix else key))
    else:
        names += [("attribute", key) for key in vars(module) if not key.startswith("_")]
    return names


def _freeze_state(kind: str, value: Any) -> Any:
    if kind == "parameter":
        return (freeze(value), bool(getattr(value, "requires_grad", False)))
    return freeze(value)


def snapshot(module: Any, user_view: Any, args: tuple, extra_state: Dict[str, Any]) -> Dict[str, Any]:
    """Everything a user can observe, by the names of the module they gave.
    Each name is looked up first on `user_view` (what the exporter handed
    back, when it mirrors the module's names), then on the module itself."""
    state: Dict[str, Any] = {}
    for kind, name in _state_names(module):
        value: Any = MISSING
        for root in (user_view, module):
            if root is None:
                continue
            try:
                value = _freeze_state(kind, _resolve(root, name))
                break
            except AttributeError:
                continue
        state[kind + " " + name] = value
    for index, arg in enumerate(args):
        state["input %d" % index] = freeze(arg)
    for name, value in extra_state.items():
        state[name] = freeze(value)
    return state


def _differences(call: int, eager: Tuple[Any, Dict[str, Any]], exported: Tuple[Any, Dict[str, Any]]) -> List[dict]:
    found = []
    if not same(eager[0], exported[0]):
        found.append(
            {"what": "output of call %d" % call, "eager": describe(eager[0]), "exported": describe(exported[0])}
        )
    for key in list(eager[1]) + [k for k in exported[1] if k not in eager[1]]:
        a, b = eager[1].get(key, MISSING), exported[1].get(key, MISSING)
        if not same(a, b):
            found.append({"what": key, "after_call": call, "eager": describe(a), "exported": describe(b)})
    return found


def _run_eager(behaviour: Any, device: str) -> List[Tuple[Any, Dict[str, Any]]]:
    behaviour.reset()
    instance = behaviour.instantiate(device)
    trace = []
    try:
        for _ in range(behaviour.warmup_calls):
            instance.module(*instance.args)
        for _ in range(CALLS):
            output = freeze(instance.module(*instance.args))
            extra = behaviour.extra_state(instance.module)
            trace.append((output, snapshot(instance.module, None, instance.args, extra)))
    except Exception as error:
        raise BehaviourBroken("%s: eager run raised %r" % (behaviour.id, error)) from error
    return trace


def _warning_texts(caught: list) -> List[str]:
    texts: List[str] = []
    for item in caught:
        text = "%s: %s" % (item.category.__name__, normalise_message(str(item.message)))
        if text not in texts:
            texts.append(text)
    return texts[:MAX_WARNINGS]


def observe(
    behaviour: Any, exporter: Any, device: str, clock: Callable[[], float] = time.perf_counter
) -> Dict[str, Any]:
    """Run one cell and return {"outcome": ..., "evidence": {...}}."""
    reason = exporter.unavailable_reason()
    if reason:
        return {"outcome": "unsupported", "evidence": {"reason": reason}}
    eager_trace = _run_eager(behaviour, device)

    behaviour.reset()
    instance = behaviour.instantiate(device)
    for _ in range(behaviour.warmup_calls):
        instance.module(*instance.args)
    evidence: Dict[str, Any] = {}
    started = clock()
    result: Optional[Dict[str, Any]] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            artifact = exporter.capture(instance.module, instance.args)
        except Exception as error:
            result = {"outcome": "export-error", "evidence": {"phase": "capture", "error": describe_error(error)}}
        if result is None:
            evidence["signature_mutations"] = artifact.signature_mutations
            differences: List[dict] = []
            for call in range(1, CALLS + 1):
                try:
                    output = freeze(artifact.call(*instance.args))
                except Exception as error:
                    lazy = exporter.lazy and call == 1
                    outcome = "export-error" if lazy else "run-error"
                    phase = "call 1 (capture happens at the first call)" if lazy else "call %d" % call
                    result = {"outcome": outcome, "evidence": {"phase": phase, "error": describe_error(error)}}
                    break
                extra = behaviour.extra_state(instance.module)
                state = snapshot(instance.module, artifact.user_view, instance.args, extra)
                differences += _differences(call, eager_trace[call - 1], (output, state))
            if result is None and differences:
                result = {"outcome": "diverges", "evidence": {"differences": differences[:MAX_DIFFERENCES]}}
            elif result is None:
                result = {"outcome": "holds", "evidence": {}}
    evidence.update(result["evidence"])
    evidence["warnings"] = _warning_texts(caught)
    evidence["duration_s"] = round(clock() - started, 4)
    evidence["exporter_detail"] = exporter.detail
    return {"outcome": result["outcome"], "evidence": evidence}
