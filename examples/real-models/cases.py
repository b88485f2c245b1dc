"""Models nobody here wrote: torchvision's resnet18 and mobilenet_v3_small in
training mode, a tiny Hugging Face Llama exported with its static KV cache the
way transformers' own ExecuTorch integration wraps it, and torch's own modules
that update state in forward (spectral norm, fake quantization during QAT,
observers, cumulative BatchNorm, InstanceNorm with running statistics, an
Embedding that renormalises its weight).

No weights are downloaded: every model is built from its code with random
weights (the suite seeds before instantiating). torchvision and transformers
are imported only when a module is built, so the file loads in every release;
a release whose environment lacks the package (or holds a version without the
piece used here) reads `unsupported`, with the reason, through `unavailable`.

Run it (see README.md beside this file) with

    nox -s matrix -- 2.4 2.15 --behaviours examples/real-models/cases.py --only-cases \
        --with torchvision --with "transformers[torch]" --paths default,compile_inductor,aoti
"""

import functools
import importlib
import importlib.metadata
import inspect
import re

import torch
from exportmatrix_suite import behaviour

# what a BatchNorm changes in training mode, wherever it sits in a model (`**`: any depth)
BATCHNORMS = ("buffer **.running_mean", "buffer **.running_var", "buffer **.num_batches_tracked")


# -- companion packages: present, importable, and holding what is used -----


def _installed(package):
    """The installed version of `package`, or None (read without importing it)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _first_line(error):
    """The error's type and first line, without a file's path ("(/…/torch/x.py)");
    for an error raised from another (transformers' lazy imports wrap the real
    one), the innermost's too."""
    said = []
    while error is not None and len(said) < 10:
        line = (str(error).strip().splitlines() or ["(no message)"])[0]
        line = line.split(". ")[0] if error.__cause__ is not None else line  # the wrapper's first sentence
        said.append("%s: %s" % (type(error).__name__, re.sub(r" ?\((/|[A-Za-z]:\\)[^()]*\)", "", line)))
        error = error.__cause__
    return said[0] + (" (from %s)" % said[-1] if len(said) > 1 else "")


@functools.lru_cache(maxsize=None)
def _missing(package, *pieces):
    """Why `package` (with each 'module:name' of `pieces`) cannot be used
    beside this torch, or None."""
    version = _installed(package)
    if version is None:
        return "%s is not installed beside torch %s (add --with %s)" % (package, torch.__version__, package)
    for piece in (package, *pieces):
        module_name, _, name = piece.partition(":")
        try:
            module = importlib.import_module(module_name)
            if name:
                getattr(module, name)
        except Exception as error:  # ImportError, AttributeError, or what a mismatched build raises
            return "%s %s beside torch %s: %s %s: %s" % (
                package,
                version,
                torch.__version__,
                "no" if isinstance(error, (ImportError, AttributeError)) else "cannot use",
                piece.replace(":", "."),
                _first_line(error),
            )
    return None


def _torch_needed(package):
    """The torch that `package`'s torch extra asks for ('torch>=2.6'), or None."""
    for requirement in importlib.metadata.requires(package) or ():
        name, _, marker = requirement.partition(";")
        if name.replace(" ", "").startswith("torch") and name.strip()[5:6] in "<>=!~ (" and "torch" in marker:
            return name.replace(" ", "")
    return None


def _torchvision_missing():
    return _missing("torchvision", "torchvision.models:resnet18", "torchvision.models:mobilenet_v3_small")


def _transformers_missing():
    found = _missing("transformers")
    if found:
        return found
    import transformers

    # a transformers that needs a newer torch imports, but turns its PyTorch
    # side off (is_torch_available() is False): its models are placeholders
    from transformers.utils import is_torch_available

    if not is_torch_available():
        return (
            "transformers %s turns PyTorch off beside torch %s (it needs %s; with --with 'transformers[torch]', "
            "uv picks a transformers that supports this torch)"
            % (transformers.__version__, torch.__version__, _torch_needed("transformers") or "a newer torch")
        )
    return _missing(
        "transformers",
        "transformers:LlamaConfig",
        "transformers:LlamaForCausalLM",
        "transformers:GenerationConfig",
        "transformers.integrations.executorch:TorchExportableModuleWithStaticCache",
    )


# -- torchvision -------------------------------------------------------------

IMAGE = lambda: (torch.randn(2, 3, 32, 32),)  # noqa: E731

@behaviour(
    id="real.resnet18_train",
    description="torchvision resnet18(num_classes=4) in training mode: 20 BatchNorms update their running statistics",
    tags=("model", "torchvision", "batchnorm"),
    inputs=IMAGE,
    mutates=BATCHNORMS,
    unavailable=_torchvision_missing,
)
class ResNet18Train(torch.nn.Module):
    def __init__(self):
        super().__init__()
        from torchvision.models import resnet18

        self.net = resnet18(weights=None, num_classes=4).train()

    def forward(self, x):
        return self.net(x)


# In mobilenet_v3_small at 32x32, each 1x1 expansion conv reads a BatchNorm's
# training-mode output (zero mean per channel), so its own BatchNorm's
# running_mean stays put while running_var and the count move: a pattern
# matches names that did not change, and that is fine.


@behaviour(
    id="real.mobilenet_v3_small_train",
    description="torchvision mobilenet_v3_small(num_classes=4), training mode: BatchNorms update, its Dropout draws",
    tags=("model", "torchvision", "batchnorm", "dropout", "random"),
    inputs=IMAGE,
    mutates=BATCHNORMS,
    unavailable=_torchvision_missing,
)
class MobileNetV3SmallTrain(torch.nn.Module):
    def __init__(self):
        super().__init__()
        from torchvision.models import mobilenet_v3_small

        self.net = mobilenet_v3_small(weights=None, num_classes=4).train()  # train(): its Dropout is on

    def forward(self, x):
        return self.net(x)


# -- Hugging Face transformers: a tiny Llama with its static KV cache -------

LLAMA = dict(
    vocab_size=64,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
)
MAX_CACHE_LEN = 8


def _token_at_position():
    """One token, written into the cache at position 3 (0-2 hold zeros)."""
    return (torch.tensor([[5]]), torch.tensor([3]))


@behaviour(
    id="real.llama_static_cache",
    description=(
        "a 2-layer Llama from its config inside transformers' TorchExportableModuleWithStaticCache: "
        "forward(input_ids, cache_position) writes the keys and values into StaticCache buffers (index_copy_)"
    ),
    tags=("model", "transformers", "kv-cache"),
    inputs=_token_at_position,
    # the wrapper's cache buffers (key_cache_i and value_cache_i; from transformers 5 also
    # cumulative_length_i), and the StaticCache object holding the same tensors, a plain attribute
    mutates=("buffer export.*", "attribute export.static_cache"),
    unavailable=_transformers_missing,
)
class LlamaWithStaticCache(torch.nn.Module):
    """transformers' own export recipe (integrations.executorch), as
    convert_and_export_with_cache builds it; called with keywords, as its
    forward's parameters differ between versions."""

    def __init__(self):
        super().__init__()
        from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
        from transformers.integrations.executorch import TorchExportableModuleWithStaticCache

        model = LlamaForCausalLM(LlamaConfig(**LLAMA)).eval()
        model.generation_config = GenerationConfig(
            use_cache=True,
            cache_implementation="static",
            max_length=MAX_CACHE_LEN,
            cache_config={"batch_size": 1, "max_cache_len": MAX_CACHE_LEN},
        )
        given = inspect.signature(TorchExportableModuleWithStaticCache.__init__).parameters
        sizes = dict(batch_size=1, max_cache_len=MAX_CACHE_LEN) if "max_cache_len" in given else {}
        self.export = TorchExportableModuleWithStaticCache(model, **sizes)

    def forward(self, input_ids, cache_position):
        return self.export(input_ids=input_ids, cache_position=cache_position)


# -- torch's own modules that update state in forward -----------------------

FEATURES = 8


def _rows():
    return (torch.randn(4, FEATURES),)


@behaviour(
    id="real.spectral_norm_hook",
    description="nn.utils.spectral_norm (hook), training: power iteration moves weight_u/_v; the hook sets weight",
    tags=("torch", "spectral_norm"),
    inputs=_rows,
    mutates=("buffer lin.weight_u", "buffer lin.weight_v", "attribute lin.weight"),
)
class SpectralNormHook(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.utils.spectral_norm(torch.nn.Linear(FEATURES, FEATURES))

    def forward(self, x):
        return self.lin(x)


@behaviour(
    id="real.spectral_norm_parametrization",
    description="nn.utils.parametrizations.spectral_norm, training mode: a power iteration moves its _u and _v",
    tags=("torch", "spectral_norm", "parametrization"),
    inputs=_rows,
    mutates=("buffer lin.parametrizations.weight.0._u", "buffer lin.parametrizations.weight.0._v"),
)
class SpectralNormParametrization(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = torch.nn.Linear(FEATURES, FEATURES)
        # registering runs 15 power iterations: on a random weight they
        # converge, and forward's one more moves nothing; with its two largest
        # singular values 1% apart, every iteration still moves _u and _v
        left, _ = torch.linalg.qr(torch.randn(FEATURES, FEATURES))
        right, _ = torch.linalg.qr(torch.randn(FEATURES, FEATURES))
        spectrum = torch.tensor([1.0, 0.99] + [0.5] * (FEATURES - 2))
        with torch.no_grad():
            lin.weight.copy_(left @ torch.diag(spectrum) @ right.t())
        self.lin = torch.nn.utils.parametrizations.spectral_norm(lin)

    def forward(self, x):
        return self.lin(x)


@behaviour(
    id="real.fake_quantize_qat",
    description="ao.quantization.FakeQuantize during QAT: its observer moves min/max_val, then scale and zero_point",
    tags=("torch", "quantization", "qat"),
    inputs=_rows,
    mutates=(
        "buffer fq.activation_post_process.min_val",
        "buffer fq.activation_post_process.max_val",
        "buffer fq.scale",
        "buffer fq.zero_point",
    ),
)
class FakeQuantizeQAT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(FEATURES, FEATURES)
        self.fq = torch.ao.quantization.FakeQuantize()  # default: MovingAverageMinMaxObserver, quint8

    def forward(self, x):
        return self.fq(self.lin(x))


@behaviour(
    id="real.qat_linear_fused",
    description="ao.nn.qat.Linear, default QAT qconfig: weight and output through fused_moving_avg_obs_fake_quant",
    tags=("torch", "quantization", "qat", "fused"),
    inputs=_rows,
    mutates=("buffer **.min_val", "buffer **.max_val", "buffer **.scale", "buffer **.zero_point"),
)
class QATLinearFused(torch.nn.Module):
    def __init__(self):
        super().__init__()
        qconfig = torch.ao.quantization.get_default_qat_qconfig("fbgemm")
        self.lin = torch.ao.nn.qat.Linear(FEATURES, FEATURES, qconfig=qconfig)
        self.out = qconfig.activation()

    def forward(self, x):
        return self.out(self.lin(x))


@behaviour(
    id="real.moving_average_observer",
    description="ao.quantization.MovingAverageMinMaxObserver: folds each batch's min and max into min_val/max_val",
    tags=("torch", "quantization", "observer"),
    inputs=_rows,
    mutates=("buffer observer.min_val", "buffer observer.max_val"),
)
class MovingAverageObserver(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.observer = torch.ao.quantization.MovingAverageMinMaxObserver()

    def forward(self, x):
        return self.observer(x * 2)


@behaviour(
    id="real.per_channel_observer",
    description="ao.quantization.PerChannelMinMaxObserver: the first call resizes its empty min_val/max_val",
    tags=("torch", "quantization", "observer", "resize"),
    inputs=_rows,
    mutates=("buffer observer.min_val", "buffer observer.max_val"),
)
class PerChannelObserver(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.observer = torch.ao.quantization.PerChannelMinMaxObserver(ch_axis=1)

    def forward(self, x):
        return self.observer(x) + 1


@behaviour(
    id="real.histogram_observer",
    description="ao.quantization.HistogramObserver: updates histogram, min_val, max_val (data-dependent control flow)",
    tags=("torch", "quantization", "observer"),
    inputs=_rows,
    mutates=("buffer observer.histogram", "buffer observer.min_val", "buffer observer.max_val"),
)
class HistogramObserver(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.observer = torch.ao.quantization.HistogramObserver(bins=16)

    def forward(self, x):
        return self.observer(x) * 2


@behaviour(
    id="real.batchnorm_cumulative",
    description="BatchNorm1d(momentum=None), training mode: a cumulative average over num_batches_tracked batches",
    tags=("torch", "batchnorm"),
    inputs=_rows,
    mutates=BATCHNORMS,
)
class BatchNormCumulative(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(FEATURES, momentum=None)

    def forward(self, x):
        return self.norm(x)


@behaviour(
    id="real.instancenorm_running_stats",
    description="InstanceNorm1d(track_running_stats=True) in training mode: updates running_mean and running_var",
    tags=("torch", "instancenorm"),
    inputs=lambda: (torch.randn(2, FEATURES, 5),),
    mutates=("buffer norm.running_mean", "buffer norm.running_var"),
)
class InstanceNormRunningStats(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = torch.nn.InstanceNorm1d(FEATURES, track_running_stats=True)

    def forward(self, x):
        return self.norm(x)


@behaviour(
    id="real.embedding_max_norm",
    description="Embedding(max_norm=1.0): a lookup renormalises those rows of the weight in place (embedding_renorm_)",
    tags=("torch", "embedding", "parameter"),
    inputs=lambda: (torch.tensor([[1, 3, 3, 7]]),),
    mutates=("parameter emb.weight",),
)
class EmbeddingMaxNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, FEATURES, max_norm=1.0)

    def forward(self, ids):
        return self.emb(ids).sum(-1)


@behaviour(
    id="real.lazy_linear",
    description="nn.LazyLinear: the first call materialises weight and bias and sets in_features from the input",
    tags=("torch", "lazy", "parameter"),
    inputs=_rows,
    mutates=("parameter lin.weight", "parameter lin.bias", "attribute lin.in_features"),
)
class LazyLinearFirstCall(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.LazyLinear(FEATURES)

    def forward(self, x):
        return self.lin(x)
