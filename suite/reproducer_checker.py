# The checking half of every reproducer, pasted into it verbatim. It restates
# the classifier's rule with torch at hand (the classifier itself stays
# torch-free so stand-ins can prove it); tests run sampled reproducers and
# check they print the outcome the suite recorded.
MISSING = "<missing>"


def to_device(value):
    if isinstance(value, torch.Tensor):
        return value.to(DEVICE)
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(item) for item in value)
    if isinstance(value, dict):
        return {key: to_device(item) for key, item in value.items()}
    return value


def frozen(value):
    """A copy of value that later mutation cannot change."""
    if isinstance(value, torch.Tensor):
        try:
            return value.detach().clone()
        except Exception as error:
            return "<tensor without data: %s>" % type(error).__name__
    if isinstance(value, (list, tuple)):
        return type(value)(frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: frozen(item) for key, item in value.items()}
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    return "<%s>" % type(value).__name__


def same(a, b):
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        try:
            return bool(torch.allclose(a.cpu().double(), b.cpu().double(), rtol=1.3e-6, atol=1e-5, equal_nan=True))
        except Exception:
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    return type(a) is type(b) and a == b


def resolve(root, dotted):
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


def state(mod, view, args):
    """Everything observable, by the names of the module given to capture;
    each looked up first on what capture returned, then on the module."""
    names = [("buffer", name) for name, _ in mod.named_buffers()]
    names += [("parameter", name) for name, _ in mod.named_parameters()]
    for prefix, sub in mod.named_modules():
        for key in vars(sub):
            if not key.startswith("_") and key != "training":
                names.append(("attribute", prefix + "." + key if prefix else key))
    found = {}
    for kind, name in names:
        raw = MISSING
        for root in (view, mod):
            if root is None:
                continue
            try:
                raw = resolve(root, name)
                break
            except AttributeError:
                continue
        value = frozen(raw)
        if kind == "parameter" and isinstance(raw, torch.Tensor):
            value = (value, raw.requires_grad)
        found[kind + " " + name] = value
    found.update({"input %d" % index: frozen(arg) for index, arg in enumerate(args)})
    found.update({key: frozen(value) for key, value in extra_state(mod).items()})
    return found


def report(outcome, detail=""):
    print("OUTCOME: %s" % outcome)
    if detail:
        print(detail)
    return outcome


def check():
    reset()
    eager, eager_args = build()
    expected = [(frozen(eager(*eager_args)), state(eager, None, eager_args)) for _ in range(2)]
    reset()
    mod, args = build()
    try:
        artifact = capture(mod, args)
    except Exception as error:
        return report("export-error", "%s: %s" % (type(error).__name__, error))
    differences = []
    for call in (1, 2):
        try:
            output = frozen(artifact(*args))
        except Exception as error:
            outcome = "export-error" if LAZY and call == 1 else "run-error"
            return report(outcome, "call %d: %s: %s" % (call, type(error).__name__, error))
        got = state(mod, artifact, args)
        want_output, want = expected[call - 1]
        if not same(want_output, output):
            differences.append("output of call %d: eager %s, exported %s" % (call, want_output, output))
        for key in list(want) + [key for key in got if key not in want]:
            if not same(want.get(key, MISSING), got.get(key, MISSING)):
                differences.append(
                    "%s after call %d: eager %s, exported %s"
                    % (key, call, want.get(key, MISSING), got.get(key, MISSING))
                )
    return report("diverges", "\n".join(differences)) if differences else report("holds")


check()
