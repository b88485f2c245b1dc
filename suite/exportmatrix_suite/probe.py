"""What is really installed: torch with its local tag, CUDA/HIP, Python,
devices, and every distribution with its version."""

from __future__ import annotations

import os
import platform
import re
import site
import sys
from typing import Any, Dict, List


def torch_version() -> str:
    """torch.__version__ as text, local tag included ("2.4.1+cu121")."""
    import torch

    return str(torch.__version__)


def python_version() -> str:
    return "%d.%d.%d" % sys.version_info[:3]


def devices() -> List[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available() and torch.cuda.device_count() > 0:
        found.append("cuda")
    return found


def normalise_name(name: str) -> str:
    """A distribution's name as PEP 503 normalises it: "Typing_Extensions" -> "typing-extensions"."""
    return re.sub(r"[-_.]+", "-", name).lower()


def site_folders() -> List[str]:
    """Where this interpreter installs distributions (site-packages and the user's)."""
    folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [os.path.realpath(folder) for folder in folders]


def vendored(location: str, sites: List[str]) -> bool:
    """A distribution inside a package's own folder (setuptools puts its
    _vendor folder on sys.path when imported), not one installed here."""
    location = os.path.realpath(location)
    return any(location.startswith(folder + os.sep) for folder in sites)


def packages() -> Dict[str, str]:
    """Every installed distribution, by normalised name, sorted: {"numpy": "1.26.4", ...}.
    Where a name is installed twice, the one found first on sys.path (the one imported).
    Distributions vendored inside an installed package are not installed ones."""
    from importlib import metadata

    found: Dict[str, str] = {}
    sites = site_folders()
    for distribution in metadata.distributions():
        if vendored(str(distribution.locate_file("")), sites):
            continue
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(normalise_name(name), str(distribution.version))
    return dict(sorted(found.items()))


def probe() -> Dict[str, Any]:
    import torch

    gpu_names = []
    if "cuda" in devices():
        gpu_names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    version = torch_version()
    return {
        "torch": version,
        "local_tag": version.partition("+")[2] or None,
        "cuda": getattr(torch.version, "cuda", None),
        "hip": getattr(torch.version, "hip", None),
        "python": python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "devices": devices(),
        "gpus": gpu_names,
        "packages": packages(),
        "status": "ok",
    }
