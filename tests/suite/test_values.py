"""Freezing and comparing observed values, tensors included (duck-typed)."""

from errors import normalise_message
from values import describe, freeze, same


class FakeTensor:
    """Quacks like a tensor for freeze(): detach, cpu, reshape, tolist..."""

    def __init__(self, values, dtype="torch.float32"):
        self.values = list(values)
        self.dtype = dtype
        self.shape = (len(self.values),)
        self.device = "cpu"

    def detach(self):
        return self

    def cpu(self):
        return self

    def numel(self):
        return len(self.values)

    def reshape(self, *shape):
        return self

    def __getitem__(self, item):
        return FakeTensor(self.values[item], self.dtype)

    def tolist(self):
        return list(self.values)


def test_tensors_compare_by_dtype_shape_and_values_within_tolerance():
    assert same(freeze(FakeTensor([1.0, 2.0])), freeze(FakeTensor([1.0, 2.0 + 1e-7])))
    assert not same(freeze(FakeTensor([1.0, 2.0])), freeze(FakeTensor([1.0, 2.1])))
    assert not same(freeze(FakeTensor([1.0])), freeze(FakeTensor([1.0], dtype="torch.float64")))
    assert not same(freeze(FakeTensor([1.0])), freeze(FakeTensor([1.0, 1.0])))


def test_plain_values_compare_strictly_by_type():
    assert same(freeze([1, {"a": 2}]), freeze([1, {"a": 2}]))
    assert not same(freeze([1]), freeze((1,)))
    assert not same(freeze(1), freeze(1.0))
    assert same(freeze(float("nan")), freeze(float("nan")))


def test_describe_is_short():
    text = describe(freeze(FakeTensor(range(100))))
    assert text.startswith("tensor([0, 1, 2, 3, 4, 5], shape=[100]")
    assert len(describe(freeze("x" * 500))) <= 120


def test_messages_are_normalised():
    message = 'File "/home/u/model.py", line 42, in forward: bad at 0x7fff1234 in /tmp/tmpq1w2/x.py:7\nnext'
    assert normalise_message(message) == 'File "<file>", line N, in forward: bad at 0x… in <tmp>:N'
    assert normalise_message("\x1b[31mred\x00") == "[31mred"
    assert len(normalise_message("y" * 5000)) == 300
