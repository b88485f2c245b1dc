"""The numerics rule, proven with stand-ins: a float tensor that differs from
eager's is judged against a float64 reference (PyTorch's accuracy rule), an
integer never is, differences are grouped by kind, and randomness is drawn
alike on every side."""

from __future__ import annotations

import copy
import random
from typing import Any, Dict, List, Optional

from exportmatrix_suite.classify import judge_numerics, numerics_bound, observe, within_numerics
from standins import Artifact, Instance, StandInExporter


class Tensor:
    """A flat tensor of plain Python with a torch-like dtype name."""

    device = "cpu"
    requires_grad = False

    def __init__(self, values: list, dtype: str = "torch.float32") -> None:
        self.values, self.dtype = list(values), dtype

    @property
    def shape(self) -> tuple:
        return (len(self.values),)

    def detach(self) -> "Tensor":
        return self

    def cpu(self) -> "Tensor":
        return self

    def numel(self) -> int:
        return len(self.values)

    def reshape(self, *shape: int) -> "Tensor":
        return self

    def tolist(self) -> list:
        return list(self.values)


def rounded(values: List[float], dtype: str, offset: float = 0.0) -> List[float]:
    """float32 as a coarse grid (its rounding error), float64 exact."""
    return [v if dtype == "torch.float64" else round(v, 4) + offset for v in values]


class Norm:
    """A BatchNorm-like leaf: a float running mean and an integer call count,
    kept out of its attributes as a torch module keeps its buffers."""

    def __init__(self, dtype: str) -> None:
        self._buffers = {"running_mean": Tensor([0.0] * 4, dtype), "num_batches_tracked": Tensor([0], "torch.int64")}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_buffers"][name]
        except KeyError:
            raise AttributeError(name) from None

    def update(self, x: List[float], offset: float, count: bool) -> None:
        mean = self._buffers["running_mean"]
        mixed = [0.9 * m + 0.1 * v for m, v in zip(mean.values, x)]
        self._buffers["running_mean"] = Tensor(rounded(mixed, mean.dtype, offset), mean.dtype)
        if count:
            self._buffers["num_batches_tracked"] = Tensor([self.num_batches_tracked.values[0] + 1], "torch.int64")


class Net:
    """Twenty Norms under one root, as a model's named buffers. `offset` and
    `lose_count_at` let an artifact add float noise or lose an update."""

    def __init__(self, dtype: str = "torch.float32", offset: float = 0.0, lose_count_at: int = 0, drop: bool = False):
        self._norms = {"block%d.bn" % i: Norm(dtype) for i in range(20)}
        self._dtype, self._offset, self._lose_count_at, self._drop = dtype, offset, lose_count_at, drop

    def named_modules(self):
        return [("", self)] + list(self._norms.items())

    def named_buffers(self):
        kinds = ("running_mean", "num_batches_tracked")
        return [(n + "." + b, getattr(m, b)) for n, m in self._norms.items() for b in kinds]

    def named_parameters(self):
        return []

    def __getattr__(self, name: str) -> Any:
        norms = self.__dict__.get("_norms", {})
        prefix = name + "."
        if any(key.startswith(prefix) for key in norms):  # "block3" -> its children
            return _Prefix(norms, prefix)
        raise AttributeError(name)

    def __call__(self, x: Tensor) -> Tensor:
        calls = self._norms["block0.bn"].num_batches_tracked.values[0] + 1
        values = [v * 1.1 for v in x.values]
        if self._drop:  # dropout: the global generator decides which elements survive
            values = [v * 2.0 if random.random() < 0.5 else 0.0 for v in values]
        for norm in self._norms.values():
            norm.update(values, self._offset, count=calls != self._lose_count_at)
        return Tensor(rounded(values, self._dtype, self._offset), self._dtype)


class _Prefix:
    def __init__(self, norms: Dict[str, Norm], prefix: str) -> None:
        self.norms, self.prefix = norms, prefix

    def __getattr__(self, name: str) -> Any:
        return self.norms[self.prefix + name]


def inputs(dtype: str = "torch.float32") -> tuple:
    return (Tensor([0.123456, 0.654321, 1.5, -0.333333], dtype),)


class NetBehaviour:
    id = "numerics.net"
    warmup_calls = 0
    dynamic_dims = None
    static_shapes_because = None

    def __init__(self, drop: bool = False, float64_fails: bool = False, seeded: bool = True) -> None:
        self.drop, self.float64_fails = drop, float64_fails
        if seeded:  # only then does it offer seed_call
            self.seed_call = lambda call: random.seed(call)

    def instantiate(self, device: str) -> Instance:
        random.seed(0)
        return Instance(Net(drop=self.drop), inputs())

    def instantiate_float64(self, device: str) -> Instance:
        if self.float64_fails:
            raise TypeError("expected scalar type Float but found Double")
        random.seed(0)
        return Instance(Net("torch.float64", drop=self.drop), inputs("torch.float64"))

    def reset(self) -> None:
        pass

    def extra_state(self, module: Any) -> Dict[str, Any]:
        return {}


def rebuilt(offset: float = 0.0, lose_count_at: int = 0, draws_at_capture: bool = False):
    """An artifact running a private copy that rounds with `offset` and may lose
    the count update at one call; it writes its state back to the user's
    module. `draws_at_capture`: capture runs forward once on a copy (as
    dynamo 2.0 does), drawing from the global generator."""

    def capture(module: Net, args: tuple) -> Artifact:
        private = copy.deepcopy(module)
        private._offset, private._lose_count_at = offset, lose_count_at
        if draws_at_capture:
            copy.deepcopy(module)(*args)

        def call(*call_args: Any) -> Any:
            out = private(*call_args)
            module._norms = copy.deepcopy(private._norms)
            return out

        return Artifact(call, module)

    return capture


def evidence_of(behaviour: NetBehaviour, capture: Any) -> Dict[str, Any]:
    return observe(behaviour, StandInExporter("standin", capture), "cpu")


def test_noise_within_the_bound_holds_and_records_its_error_and_bound():
    observation = evidence_of(NetBehaviour(), rebuilt(offset=3e-5))
    assert observation["outcome"] == "holds"
    groups = observation["evidence"]["numerics"]
    kinds = {(g["kind"], g["name"]): g for g in groups}
    assert kinds[("buffer", "running_mean")]["count"] == 20
    assert kinds[("output", "output")]["count"] == 2  # both calls' outputs
    for group in groups:
        assert 0 < group["error"] <= group["bound"]
        assert "within numerics" in group["summary"]


def test_noise_beyond_the_bound_diverges():
    observation = evidence_of(NetBehaviour(), rebuilt(offset=5e-3))
    assert observation["outcome"] == "diverges"
    assert "numerics" not in observation["evidence"]


def test_a_lost_update_among_twenty_identical_buffers_diverges_and_names_all_twenty():
    observation = evidence_of(NetBehaviour(), rebuilt(offset=3e-5, lose_count_at=2))
    assert observation["outcome"] == "diverges"
    evidence = observation["evidence"]
    (group,) = evidence["difference_groups"]  # one kind: the count after call 2
    assert group["count"] == 20
    assert group["names"] == ["buffer block%d.bn.num_batches_tracked" % i for i in range(20)]
    assert (group["eager"], group["exported"], group["after_call"]) == (
        "tensor([2], shape=[1], torch.int64)",
        "tensor([1], shape=[1], torch.int64)",
        2,
    )
    assert group["summary"].startswith("buffer `num_batches_tracked` of 20 Norms: eager tensor([2]")
    assert group["summary"].endswith("after call 2")
    assert len(evidence["differences"]) == 10  # listed one by one up to the cap; the group names them all
    # the float noise beside it is judged, not listed as a difference
    assert {g["name"] for g in evidence["numerics"]} == {"running_mean", "output"}


def test_an_integer_off_by_one_diverges_whatever_the_float64_reference():
    eager = ("tensor", "torch.int64", (1,), "cpu", [2])
    exported = ("tensor", "torch.int64", (1,), "cpu", [1])
    assert judge_numerics(eager, exported, eager) is None
    assert within_numerics(eager, exported, eager) is None


def test_the_bound_is_same_fp64_rule():
    # multiplier 2 for a large float32 tensor, 3 under 1000 elements or in half precision; plus tol / 10
    assert numerics_bound("torch.float32", (1000,), 1e-3) == 2 * 1e-3 + 1e-5
    assert numerics_bound("torch.float32", (999,), 1e-3) == 3 * 1e-3 + 1e-5
    assert numerics_bound("torch.bfloat16", (4096,), 1e-3) == 3 * 1e-3 + 1e-5
    assert numerics_bound("torch.float32", (8, 64, 1, 1), 1e-3) == 3 * 1e-3 + 1e-5
    ref = ("tensor", "torch.float64", (4,), "cpu", [1.0, 2.0, 3.0, 4.0])
    eager = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, 3.0, 4.001])
    close = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, 3.001, 4.001])
    far = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, 3.1, 4.0])
    assert within_numerics(eager, close, ref)["within"] is True
    assert within_numerics(eager, far, ref)["within"] is False
    nan = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, float("nan"), 4.0])
    assert within_numerics(eager, nan, ref)["within"] is False


def test_dropout_holds_on_a_path_that_keeps_eagers_random_stream():
    observation = evidence_of(NetBehaviour(drop=True), rebuilt(offset=3e-5))
    assert observation["outcome"] == "holds"


def test_without_seeding_each_call_the_draws_differ_and_the_cell_diverges():
    """A capture that draws random numbers moves the artifact's calls to another
    point of the stream: seeding before each call puts them back (without
    seed_call, the same stand-in diverges)."""
    seeded = evidence_of(NetBehaviour(drop=True), rebuilt(offset=3e-5, draws_at_capture=True))
    assert seeded["outcome"] == "holds"
    observation = evidence_of(NetBehaviour(drop=True, seeded=False), rebuilt(offset=3e-5, draws_at_capture=True))
    assert observation["outcome"] == "diverges"


def test_a_module_that_cannot_run_in_float64_falls_back_to_the_exact_rule_and_says_so():
    observation = evidence_of(NetBehaviour(float64_fails=True), rebuilt(offset=3e-5))
    assert observation["outcome"] == "diverges"
    why: Optional[str] = observation["evidence"].get("float64_reference")
    assert why == "it cannot run in float64: TypeError: expected scalar type Float but found Double"


def test_no_float64_run_when_nothing_differs():
    class Counting(NetBehaviour):
        runs = 0

        def instantiate_float64(self, device: str) -> Instance:
            Counting.runs += 1
            return super().instantiate_float64(device)

    assert evidence_of(Counting(), rebuilt())["outcome"] == "holds"
    assert Counting.runs == 0


def test_a_float64_run_that_computes_something_else_is_no_reference():
    """Where eager's own error to the float64 run is more than REFERENCE_FIT of
    its size (the float64 run converted a tensor that float32 eager updates in
    place, say), the tensor is judged by the exact rule, and the evidence says so."""
    eager = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, 3.0, 4.0])
    exported = ("tensor", "torch.float32", (4,), "cpu", [1.0, 2.0, 3.0, 4.001])
    unchanged = ("tensor", "torch.float64", (4,), "cpu", [0.0, 0.0, 0.0, 0.0])
    judged = within_numerics(eager, exported, unchanged)
    assert judged["fits"] is False and judged["within"] is False

    class Unchanging(NetBehaviour):
        def instantiate_float64(self, device: str) -> Instance:
            instance = super().instantiate_float64(device)
            (x,) = instance.args
            return Instance(instance.module, (Tensor([v * 3 for v in x.values], x.dtype),))  # another computation

    observation = evidence_of(Unchanging(), rebuilt(offset=3e-5))
    assert observation["outcome"] == "diverges"
    assert "output of call 1 after call 1" in observation["evidence"]["float64_misfits"]


def test_a_half_precision_tensor_is_judged_against_a_reference_that_kept_its_dtype():
    """A float16 buffer stays float16 in the float64 run (its rounding is the
    module's choice): a reference that converted it does not fit."""
    eager = ("tensor", "torch.float16", (4,), "cpu", [1.0, 2.0, 3.0, 4.0])
    exported = ("tensor", "torch.float16", (4,), "cpu", [1.0, 2.0, 3.0, 4.002])
    kept = ("tensor", "torch.float16", (4,), "cpu", [1.0, 2.0, 3.0, 4.0])
    converted = ("tensor", "torch.float64", (4,), "cpu", [1.0, 2.0, 3.0, 4.0])
    assert within_numerics(eager, exported, kept)["fits"] is True
    assert within_numerics(eager, exported, converted)["fits"] is False
