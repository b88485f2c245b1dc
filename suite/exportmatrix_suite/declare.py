"""How a behaviour is declared: a small module class plus data, in the manner
of PyTorch ExportDB's cases (torch/_export/db/case.py).

    from exportmatrix_suite import behaviour

    @behaviour(id="attr.counter", description="...", tags=("attribute",),
               inputs=lambda: (torch.randn(3),), mutates=("attribute n",))
    class Counter(torch.nn.Module): ...

Adding a behaviour is one such block, in a module of the catalogue
(exportmatrix_suite/behaviours/) or in a user's case file. The declaration is
validated when it is made, and an id declared twice is refused. Each
behaviour records where it was declared (its Source: the file and a hash of
its bytes), and whether that file is a case file (see cases.py).

torch is imported only when a behaviour is instantiated, so declarations can
be checked (and this module imported) where torch is not installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, cast

from exportmatrix_suite.axes import axis_problems
from exportmatrix_suite.classify import INPUT_KIND
from exportmatrix_suite.state_patterns import compare, describe, entry_problem, split_entry

SEED = 0
CATALOGUE_FOLDER = "exportmatrix_suite/behaviours/"  # as Source.file records it
SUITE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder holding exportmatrix_suite

# "buffer.add_", "attr.tensor_reassign", "kv_cache.index_put": lower-case words and
# underscores, dot-separated
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
# "buffer", "in-place", "torch.cond", "out=": one lower-case word, no spaces or commas
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.=+-]*")
# "pytorch/pytorch#111676", "pytorch/executorch#17005": an upstream thread, as known.toml names it
UPSTREAM_PATTERN = re.compile(r"[\w.-]+/[\w.-]+#\d+")

# what the eager equivalence check of rewrites.py found in this process, by
# behaviour id: {rewrite id: verdict}; the declaration record carries it
REWRITES_CHECKED: Dict[str, Dict[str, str]] = {}


@dataclass
class Instance:
    module: Any
    args: tuple


def _no_reset() -> None:
    return None


def _no_extra_state(module: Any) -> Dict[str, Any]:
    return {}


def _always_available() -> Optional[str]:
    return None


def state_kind(name: str) -> Optional[str]:
    """The kind of a state name ("buffer buf" -> "buffer", "class attribute
    calls" -> "class attribute"), or None when the kind is not one the
    classifier knows; an input's name must be its position."""
    split = split_entry(name)
    if split is None or (split[0] == INPUT_KIND and not split[1].isdigit()):
        return None
    return split[0]


@dataclass(frozen=True)
class Source:
    """Where a behaviour was declared: a case file's path as it was given, or a
    built-in's path relative to the suite folder; the first 16 hex digits of
    the sha256 of the file's bytes (None where the file is unknown)."""

    file: Optional[str]
    sha256: Optional[str]
    case_file: bool = False  # declared in a case file (--exportmatrix-behaviours), not the suite's catalogue

    def declaration(self) -> Dict[str, Optional[str]]:
        return {"file": self.file, "sha256": self.sha256}

    @property
    def catalogue(self) -> bool:
        """Declared in the suite's own catalogue (behaviours/), whose tags follow the axes strictly."""
        return not self.case_file and (self.file or "").startswith(CATALOGUE_FOLDER)


UNKNOWN_SOURCE = Source(None, None)


@dataclass(frozen=True)
class Rewrite:
    """A portable rewrite a behaviour names: another behaviour computing the
    same thing in a form export handles. `state` pairs a state name of the
    original with the rewrite's name for it, where the two names differ
    (("attribute calls", "buffer steps"),); a name the original and the
    rewrite share (whatever its kind: "attribute a" and "buffer a") needs
    no pair. See rewrites.py for the check."""

    id: str
    state: Tuple[Tuple[str, str], ...] = ()

    def declaration(self) -> str:
        return self.id


def rewrites_of(value: Any) -> Any:
    """The `rewrites` option as Rewrites: a tuple of ids ("buffer.add_",), or a
    dict {id: {original's state name: rewrite's state name}}; anything else is
    returned as it is, for _problems to refuse."""
    if isinstance(value, dict) and all(isinstance(names, dict) for names in value.values()):
        return tuple(Rewrite(key, tuple(names.items())) for key, names in value.items())
    if isinstance(value, tuple) and all(isinstance(item, (str, Rewrite)) for item in value):
        return tuple(item if isinstance(item, Rewrite) else Rewrite(item) for item in value)
    return value


@dataclass(frozen=True)
class Behaviour:
    """One mutation pattern: a module class, its example inputs, and what an
    eager call changes. Satisfies classify.Behaviour."""

    id: str
    description: str
    tags: Tuple[str, ...]
    module_class: type
    make_inputs: Callable[[], tuple]
    seed_test: Optional[str] = None  # the upstream test it comes from, if any
    warmup_calls: int = 0  # eager calls on the module before it is captured
    # what an eager call changes, by the classifier's state names ("buffer buf",
    # "attribute n", "input 0", "global TOTALS") or patterns of them ("buffer
    # *.running_mean", "buffer net.**": state_patterns.py); empty for a no-mutation control
    mutates: Tuple[str, ...] = ()
    # state outside the module (globals, closures, class attributes)
    extra_reset: Callable[[], None] = field(default=_no_reset)
    extra_state: Callable[[Any], Dict[str, Any]] = field(default=_no_extra_state)
    # a dynamic-shapes cell makes this dimension of each input dynamic (None:
    # not that input); unset, dimension 0 of every tensor input
    dynamic_dims: Optional[Tuple[Optional[int], ...]] = None
    static_shapes_because: Optional[str] = None  # why its shapes cannot be dynamic, if they cannot
    # the upstream threads it comes from ("pytorch/pytorch#111676"); each needs a
    # [[link]] naming this behaviour in upstream/known.toml
    upstream: Tuple[str, ...] = ()
    # what the user does between call 1 and call 2, on the module they hold (a
    # class attribute changed, an attribute reassigned after capture): applied
    # identically on the eager side and the exported side (see classify.py)
    between_calls: Optional[Callable[[Any], None]] = None
    # why this release cannot express the pattern (its cells are `unsupported`), or None
    unavailable: Callable[[], Optional[str]] = field(default=_always_available)
    # its portable rewrites: other behaviours' ids ("buffer.add_",), or {id:
    # {its state name: the rewrite's}} where names differ; each is checked to
    # compute the same thing in eager (rewrites.py); not part of its key
    rewrites: Tuple[Rewrite, ...] = ()
    source: Source = UNKNOWN_SOURCE  # set by @behaviour, not an option

    def __post_init__(self) -> None:
        object.__setattr__(self, "rewrites", rewrites_of(self.rewrites))
        problems = list(_problems(self))
        if problems:
            raise ValueError("behaviour %r: %s" % (self.id, "; ".join(problems)))

    def instantiate(self, device: str) -> Instance:
        """A fresh module and inputs, identical every time (seeded)."""
        import torch

        # the module and its inputs are made on the CPU, so the CPU's generator is
        # the one that must start from SEED; torch.manual_seed also queues a
        # seeding for each accelerator not yet initialised, recording the
        # caller's stack each time, for nothing when the cell runs on the CPU
        if device == "cpu":
            torch.random.default_generator.manual_seed(SEED)
        else:
            torch.manual_seed(SEED)
        module = self.module_class().to(device)
        args = tuple(_to_device(arg, device) for arg in self.make_inputs())
        return Instance(module, args)

    def instantiate_float64(self, device: str) -> Instance:
        """The same fresh instance with its float32 state and inputs in float64
        (the reference numerics are judged against; see float64.py)."""
        from exportmatrix_suite.float64 import module_to_float64, to_float64

        instance = self.instantiate(device)
        return Instance(module_to_float64(instance.module), to_float64(instance.args))

    def float64_draws(self) -> Any:
        """The context the float64 run draws its random numbers in."""
        from exportmatrix_suite.float64 import float32_draws

        return float32_draws()

    def seed_call(self, call: int) -> None:
        """Seed the global generator before call `call` (every side alike)."""
        import torch

        # the CPU's generator alone where no accelerator is in use (see instantiate)
        torch.random.default_generator.manual_seed(SEED + call)
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(SEED + call)

    def reset(self) -> None:
        self.extra_reset()

    def unavailable_reason(self) -> Optional[str]:
        return self.unavailable()

    def declaration(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "tags": list(self.tags),
            "seed_test": self.seed_test,
            "mutates": list(self.mutates),
            "source": self.source.declaration(),
            **({"dynamic_dims": list(self.dynamic_dims)} if self.dynamic_dims is not None else {}),
            **({"static_shapes_because": self.static_shapes_because} if self.static_shapes_because else {}),
            **({"upstream": list(self.upstream)} if self.upstream else {}),
            **({"between_calls": True} if self.between_calls is not None else {}),
            **({"rewrites": [rewrite.id for rewrite in self.rewrites]} if self.rewrites else {}),
            **({"rewrites_checked": dict(REWRITES_CHECKED[self.id])} if self.id in REWRITES_CHECKED else {}),
        }


def _problems(declared: Behaviour) -> List[str]:
    found = []
    if not isinstance(declared.id, str) or not ID_PATTERN.fullmatch(declared.id):
        found.append("the id must be lower-case words joined by dots (e.g. 'buffer.add_')")
    if not isinstance(declared.description, str) or not declared.description.strip():
        found.append("the description must be a non-empty string")
    if not isinstance(declared.tags, tuple) or not declared.tags:
        found.append("tags must be a non-empty tuple")
    else:
        wrong = [tag for tag in declared.tags if not _tag(tag)]
        found += ["tag %r must be one lower-case word (letters, digits, _ . = + -)" % tag for tag in wrong]
        if not wrong and isinstance(declared.source, Source):
            found += axis_problems(declared.tags, catalogue=declared.source.catalogue)
    if not isinstance(declared.module_class, type):
        found.append("it must decorate a class")
    if declared.make_inputs is None:
        found.append(
            "inputs is missing (a function returning the example inputs, e.g. inputs=lambda: (torch.randn(4),))"
        )
    for name in ("make_inputs", "extra_reset", "extra_state", "unavailable"):
        if not callable(getattr(declared, name)) and not (name == "make_inputs" and declared.make_inputs is None):
            found.append("%s must be callable" % ("inputs" if name == "make_inputs" else name))
    if not isinstance(declared.warmup_calls, int) or isinstance(declared.warmup_calls, bool):
        found.append("warmup_calls must be an int")
    elif declared.warmup_calls < 0:
        found.append("warmup_calls must not be negative")
    if not isinstance(declared.mutates, tuple):
        found.append("mutates must be a tuple of state names (or patterns of them, see state_patterns.py)")
    else:
        found += [problem for problem in map(entry_problem, declared.mutates) if problem]
    if declared.dynamic_dims is not None and (
        not isinstance(declared.dynamic_dims, tuple) or not all(map(_dimension, declared.dynamic_dims))
    ):
        found.append("dynamic_dims must be a tuple with one dimension (an int >= 0) or None per input")
    if declared.static_shapes_because is not None and (
        not isinstance(declared.static_shapes_because, str) or not declared.static_shapes_because.strip()
    ):
        found.append("static_shapes_because must be a non-empty string (why its shapes cannot be dynamic)")
    if not isinstance(declared.upstream, tuple) or not all(
        isinstance(ref, str) and UPSTREAM_PATTERN.fullmatch(ref) for ref in declared.upstream
    ):
        found.append("upstream must be a tuple of owner/repo#number refs (e.g. 'pytorch/pytorch#111676')")
    if declared.between_calls is not None and not callable(declared.between_calls):
        found.append("between_calls must be callable (it is given the module) or None")
    found += _rewrite_problems(declared)
    if declared.seed_test is not None and not isinstance(declared.seed_test, str):
        found.append("seed_test must be a test name or None")
    if not isinstance(declared.source, Source):
        found.append("source is not an option (@behaviour records it)")
    return found


def _rewrite_problems(declared: Behaviour) -> List[str]:
    """What is wrong with the `rewrites` option (whether each id is declared
    is known only once every behaviour is: rewrites.py checks it)."""
    shape = (
        "rewrites must be a tuple of behaviour ids (e.g. ('buffer.add_',)) or a dict "
        "{id: {this behaviour's state name: the rewrite's}}"
    )
    if not isinstance(declared.rewrites, tuple) or not all(isinstance(item, Rewrite) for item in declared.rewrites):
        return [shape]
    found = []
    ids = [rewrite.id for rewrite in declared.rewrites]
    for rewrite in declared.rewrites:
        if not isinstance(rewrite.id, str) or not ID_PATTERN.fullmatch(rewrite.id):
            found.append("rewrite %r is not a behaviour id" % (rewrite.id,))
        elif rewrite.id == declared.id:
            found.append("a behaviour cannot be its own rewrite")
        elif ids.count(rewrite.id) > 1:
            found.append("rewrite %r is named twice" % rewrite.id)
        for pair in rewrite.state:
            for name in pair:
                problem = entry_problem(name) if isinstance(name, str) else "%r is not a state name" % (name,)
                if problem is None and "*" in name:
                    problem = "%r: a rewrite's state names name one state each (no patterns)" % name
                if problem:
                    found.append("rewrite %r: %s" % (rewrite.id, problem))
    return list(dict.fromkeys(found))


def _dimension(dim: Any) -> bool:
    return dim is None or (isinstance(dim, int) and not isinstance(dim, bool) and dim >= 0)


def _tag(tag: Any) -> bool:
    return isinstance(tag, str) and TAG_PATTERN.fullmatch(tag) is not None


def _to_device(value: Any, device: str) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(item, device) for item in value)
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    return value


REGISTRY: List[Behaviour] = []  # every behaviour declared in this process, in order
_CASE_FILES: List[str] = []  # the case file being loaded (innermost last), as given


@contextlib.contextmanager
def loading_case_file(path: str) -> Iterator[None]:
    """Behaviours declared inside come from the case file `path` (recorded as given)."""
    _CASE_FILES.append(path)
    try:
        yield
    finally:
        _CASE_FILES.pop()


def file_digest(path: str) -> Optional[str]:
    """The first 16 hex digits of the sha256 of a file's bytes; None if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:16]
    except OSError:
        return None


def source_of(module_class: type) -> Source:
    """Where `module_class` is being declared: the case file being loaded, or
    its module's file (relative to the suite folder when inside it)."""
    if _CASE_FILES:
        return Source(_CASE_FILES[-1], file_digest(_CASE_FILES[-1]), case_file=True)
    try:
        path = inspect.getsourcefile(module_class)
    except TypeError:  # a class of no file (built in an interpreter session)
        path = None
    if not path:
        return UNKNOWN_SOURCE
    shown = path
    relative = os.path.relpath(os.path.abspath(path), SUITE_DIR)
    if relative.split(os.sep)[0] != os.pardir:  # inside the suite folder
        shown = relative.replace(os.sep, "/")
    return Source(shown, file_digest(path))


def selected(registry: Sequence[Behaviour], only_cases: bool) -> List[Behaviour]:
    """The behaviours a run observes: all of them, or only the case files' ones."""
    return [declared for declared in registry if declared.source.case_file or not only_cases]


def where(declared: Behaviour) -> str:
    """Where a behaviour was declared, for a message: 'my_cases.py (class Decoder)'."""
    return "%s (class %s)" % (
        declared.source.file or "an unknown file",
        getattr(declared.module_class, "__name__", "?"),
    )


def mutates_problem(declared: Behaviour, changed: Sequence[str]) -> Optional[str]:
    """Why the state an eager run changed does not match what `mutates` names
    (each changed name matched by an entry, each entry matching a changed
    name; see state_patterns.py), or None when it matches. The message's
    first line says what disagrees; the rest, at most about ten lines,
    groups what was found by entry and by kind of name."""
    lines = describe(compare(declared.mutates, changed))
    if not lines:
        return None
    entries = _shown_entries(declared.mutates)
    lines.insert(1, "  behaviour %r, declared in %s; %s" % (declared.id, where(declared), entries))
    return "\n".join(lines)


def _shown_entries(entries: Tuple[str, ...], most: int = 4) -> str:
    return "mutates=%r" % (tuple(entries),) if len(entries) <= most else "mutates has %d entries" % len(entries)


USER_TAGS = ("user",)  # a case file's behaviour without tags: a model author's own


def behaviour(
    id: str,
    description: Optional[str] = None,
    tags: Tuple[str, ...] = USER_TAGS,
    inputs: Optional[Callable[[], tuple]] = None,
    **options: Any,
) -> Callable[[type], type]:
    """Declare the decorated module class a behaviour; it joins REGISTRY.

    Only id and inputs are needed: description defaults to the class's
    docstring (its first line; else the id), tags to ("user",) (the suite's
    own catalogue must tag every axis).

    Options: seed_test, warmup_calls, mutates, extra_reset, extra_state,
    dynamic_dims, static_shapes_because, upstream, between_calls, unavailable,
    rewrites (see Behaviour). Raises ValueError for an invalid declaration (inputs missing,
    say) or an id that is already declared (naming where); TypeError for an
    unknown option."""
    if "source" in options:
        raise TypeError("behaviour() got an unexpected keyword argument 'source' (it is recorded, not declared)")

    def register(module_class: type) -> type:
        as_tuple = tags if isinstance(tags, str) else tuple(tags)  # a bare string is refused, not split
        docstring = (module_class.__doc__ or "").strip().splitlines() if isinstance(module_class, type) else []
        told = description if description is not None else (docstring[0] if docstring else id)
        source = source_of(module_class)
        made = cast(Callable[[], tuple], inputs)  # None is refused by Behaviour's own check, with a message
        declared = Behaviour(id, told, as_tuple, module_class, made, source=source, **options)
        for existing in REGISTRY:
            if existing.id == declared.id:
                raise ValueError("behaviour %r is declared twice: it is already declared in %s" % (id, where(existing)))
        REGISTRY.append(declared)
        return module_class

    return register
