"""A stand-in matrix as large as the default one in its releases and
behaviours (16 releases x 86 behaviours, grouped by state), written as
streams with streams_factory and merged, until the committed default matrix
exists. Its first behaviour is kv_cache.dict_grows; outcomes move between
releases, so it has stories."""

from streams_factory import environment, line, observation

from exportmatrix.merge import aggregate

STATES = ("buffer", "parameter", "tensor-attribute", "scalar-attribute", "global", "input", "container-attribute")
RELEASES = tuple("2.%d" % minor for minor in range(16))
EXPORTERS = ("export_strict", "dynamo_export", "export_nonstrict")
DECLARED = "# -- the behaviour, as declared -------------------------------------------------"


def behaviour_ids(count=86):
    return ["kv_cache.dict_grows"] + [
        "%s.case_%02d" % (STATES[n % len(STATES)].replace("-", "_"), n) for n in range(1, count)
    ]


def declaration(identifier, n, description=None):
    return {
        "id": identifier,
        "description": description or "stand-in behaviour %d: forward changes its %s" % (n, STATES[n % len(STATES)]),
        "tags": ["state=" + STATES[n % len(STATES)], "change=rebind", "reach=direct"],
        "seed_test": None,
    }


def reproducer(identifier, exporter):
    code = "class Case(torch.nn.Module):\n    def forward(self, x):\n        return x + 1  # %s" % identifier
    return "\n\n\n".join(
        [
            '"""stand-in reproducer of %s under %s"""' % (identifier, exporter),
            "import torch",
            "%s\n\n%s\n\nmake_inputs = lambda: (torch.ones(2),)" % (DECLARED, code),
            "def capture(mod, args):\n    return torch.export.export(mod, args)  # %s" % exporter,
        ]
    )


def outcome_of(n, x, r):
    """Outcomes that move: behaviour n under path x in release r."""
    if (n + x) % 5 == 0:
        return "export-error" if r < 10 else "diverges"  # became silent in 2.10
    if (n + x) % 5 == 1:
        return "diverges" if r < 6 else "holds"  # fixed in 2.6
    return ("holds", "holds", "export-error")[(n + x + r // 8) % 3]


def evidence(identifier, exporter, outcome, r):
    found = {
        "reproducer": reproducer(identifier, exporter),
        "exporter_detail": "torch.export.export(mod, args)  # 2.%d" % r,
    }
    if outcome == "diverges":
        found["differences"] = [
            {
                "what": "buffer buf",
                "after_call": 2,
                "arose": "call 1",
                "eager": "tensor([2.])",
                "exported": "tensor([1.])",
            }
        ]
    if outcome == "export-error":
        found["phase"] = "capture"
        found["error"] = {
            "type": "AssertionError",
            "module": "builtins",
            "message": "Mutating module attribute b during export.",
        }
    return found


def write_standin(folder, behaviours=86, releases=RELEASES, exporters=EXPORTERS, hostile=None, failed=()):
    """The streams of the stand-in in `folder`; `hostile`: a declaration to
    add; `failed`: releases whose install failed (an environment line only)."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = behaviour_ids(behaviours)
    declared = [declaration(identifier, n) for n, identifier in enumerate(ids)]
    if hostile:
        declared.append(hostile)
    for r, release in enumerate(releases):
        env_id = "torch-%s.0-py3.11" % release
        if release in failed:
            env = {
                "id": env_id,
                "session": "torch-" + release,
                "release": release,
                "build": "pypi",
                "status": "install-failed",
                "reason": "No solution found when resolving: torch==%s.*" % release,
                "python_requested": "3.11",
            }
            (folder / (env_id + ".jsonl")).write_text(line("environment", env) + "\n")
            continue
        env = environment(env_id, release, release + ".0", packages={"torch": release + ".0", "numpy": "2.1.0"})
        lines = [line("environment", env)] + [line("behaviour", b) for b in declared]
        count = 0
        for n, b in enumerate(declared):
            for x, exporter in enumerate(exporters):
                outcome = outcome_of(n, x, r)
                lines.append(
                    line(
                        "observation", observation(b["id"], exporter, outcome, evidence(b["id"], exporter, outcome, r))
                    )
                )
                count += 1
        lines.append(line("end", {"observations": count}))
        (folder / (env_id + ".jsonl")).write_text("\n".join(lines) + "\n")
    return folder


def standin(folder, **options):
    return aggregate(write_standin(folder, **options)).matrix
