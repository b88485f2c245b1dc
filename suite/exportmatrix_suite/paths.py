"""The capture-path sets and the shapes a run can ask for, by name.

Plain literals, torch-free: the host reads this file (without importing it)
to check --paths and --shapes before anything is installed, and the suite
imports it to choose its cells. exporters.py defines the paths themselves.
"""

PATH_SETS = {
    # what every release is observed through unless asked otherwise
    "default": (
        "dynamo_export",
        "export_strict",
        "export_nonstrict",
        "export_decomposed",
        "export_saveload",
        "export_retrace",
        "compile_fullgraph",
        "compile_fullgraph_aot_eager",
    ),
    # the compilers people ship with: each cell compiles C++ (seconds to tens of seconds)
    "deploy": ("compile_inductor", "aoti"),
    # capture paths chained as users chain them: torch.export, .module(), then
    # torch.compile with inductor (compiles C++ like deploy's)
    "chained": ("export_then_compile",),
}
DEFAULT_PATHS = ("default",)

# static: captured and called with the declared inputs; dynamic: one dimension
# of each tensor input declared dynamic at capture, then called at other sizes
SHAPES = ("static", "dynamic")
DEFAULT_SHAPES = ("static",)
