"""Write results streams by hand, line by line, as the suite would."""

import json
from pathlib import Path

FORMAT = "exportmatrix-line/1"


def line(kind, payload):
    return json.dumps({"format": FORMAT, "kind": kind, kind: payload})


def environment(env_id, release, torch, build="pypi", status="ok", **extra):
    return {
        "id": env_id,
        "session": "torch-" + release,
        "release": release,
        "build": build,
        "torch": torch,
        "python": "3.11.7",
        "cuda": "12.1",
        "hip": None,
        "devices": ["cpu"],
        "status": status,
        **extra,
    }


def observation(behaviour, exporter, outcome, evidence=None, device="cpu"):
    return {
        "behaviour": behaviour,
        "exporter": exporter,
        "device": device,
        "outcome": outcome,
        "evidence": evidence or {},
    }


BEHAVIOUR = {
    "id": "attr.tensor_reassign",
    "description": "forward reassigns a tensor attribute",
    "tags": ["state=tensor-attribute", "change=rebind", "reach=direct", "seed"],
    "seed_test": "test_module_attribute_mutation_violation_positive_1",
}


def write_stream(folder: Path, env, observations=(), upstream=(), complete=True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [line("environment", env), line("behaviour", BEHAVIOUR)]
    lines += [line("observation", o) for o in observations]
    lines += [line("upstream", u) for u in upstream]
    if complete:
        lines.append(line("end", {"observations": len(observations)}))
    path = folder / (env["id"] + ".jsonl")
    path.write_text("\n".join(lines) + "\n")
    return path
