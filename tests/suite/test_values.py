"""Freezing and comparing observed values, tensors included (duck-typed)."""

from exportmatrix_suite.classify import describe, difference, freeze, normalise_message, same


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


def test_where_a_package_is_installed_is_not_part_of_a_message():
    message = "hasattr: TorchVariable(<module 'torch' from '%s/site-packages/torch/__init__.py'>)"
    here = normalise_message(message % "/work/.nox/torch-2-0-3-10/lib/python3.10")
    elsewhere = normalise_message(message % "/home/ci/venv/lib64/python3.10")
    assert here == elsewhere == "hasattr: TorchVariable(<module 'torch' from '<site-packages>/torch/__init__.py'>)"
    assert normalise_message("in C:\\envs\\t\\Lib\\site-packages\\torch\\x") == "in <site-packages>/torch\\x"


# -- exactness: every element counts, and a difference says where ------------


def test_a_single_differing_element_among_ten_thousand_is_found_and_named():
    eager = [1.0] * 10_000
    exported = list(eager)
    exported[4_999] = 2.0
    assert not same(freeze(FakeTensor(eager)), freeze(FakeTensor(exported)))
    where = difference(freeze(FakeTensor(eager)), freeze(FakeTensor(exported)))
    assert where == "element 4999: eager 1.0, exported 2.0"
    assert same(freeze(FakeTensor(eager)), freeze(FakeTensor(list(eager))))


def test_nothing_is_truncated_the_last_element_counts_too():
    eager = [0.5] * 10_000
    within, beyond = list(eager), list(eager)
    within[-1] += 1e-7  # inside the stated tolerance
    beyond[-1] += 1e-3
    assert same(freeze(FakeTensor(eager)), freeze(FakeTensor(within)))
    assert difference(freeze(FakeTensor(eager)), freeze(FakeTensor(beyond))).startswith("element 9999: ")


def test_tensor_elements_follow_the_one_number_rule():
    nan = float("nan")
    assert same(freeze(FakeTensor([nan, 1.0])), freeze(FakeTensor([nan, 1.0])))
    assert not same(freeze(FakeTensor([1, 2], dtype="torch.int64")), freeze(FakeTensor([1, 3], dtype="torch.int64")))
    assert not same(freeze(FakeTensor([True])), freeze(FakeTensor([False])))
    assert difference(freeze(FakeTensor([1.0])), freeze(FakeTensor([1.0], dtype="torch.float64"))) == (
        "dtype: eager torch.float32, exported torch.float64"
    )
    assert difference(freeze(FakeTensor([1.0])), freeze(FakeTensor([1.0, 1.0]))) == "shape: eager [1], exported [2]"


class NoData(FakeTensor):
    """A tensor left by a capture without real data (a FakeTensor, a meta tensor)."""

    def detach(self):
        raise RuntimeError("Cannot access data pointer")


def test_a_tensor_without_data_is_recorded_as_such():
    frozen = freeze(NoData([1.0]))
    assert frozen[4] == "<no data: NoData RuntimeError>"
    assert same(frozen, freeze(NoData([2.0])))
    where = difference(freeze(FakeTensor([1.0])), frozen)
    assert where == "data: eager 1 elements, exported <no data: NoData RuntimeError>"
    assert "<no data: NoData RuntimeError>" in describe(frozen)


def test_a_difference_inside_containers_names_its_path():
    eager = freeze([1, {"k": FakeTensor([0.0, 0.0])}])
    exported = freeze([1, {"k": FakeTensor([0.0, 3.0])}])
    assert difference(eager, exported) == "[1]['k']: element 1: eager 0.0, exported 3.0"
    assert difference(freeze([1, 2]), freeze([1, 2, 3])) == "length: eager 2, exported 3"
    assert difference(freeze({"a": 1}), freeze({"b": 1})) == "keys: eager ['a'], exported ['b']"
    assert difference(freeze([1, 2]), freeze([1, 5])) == "[1]: eager 2, exported 5"
    assert difference(freeze(1), freeze(2)) == ""  # plain values differ as wholes: nothing inside to name


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class OtherPoint(Point):
    pass


class Slotted:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Opaque:
    """No instance attributes: compared by class and repr, addresses normalised."""

    def __repr__(self):
        return "<Opaque at 0x%x>" % id(self)


def test_objects_of_one_class_compare_by_their_state():
    assert same(freeze(Point(1, [2.0])), freeze(Point(1, [2.0])))
    assert not same(freeze(Point(1, 2)), freeze(Point(1, 3)))
    assert difference(freeze(Point(1, 2)), freeze(Point(1, 3))) == ".y: eager 2, exported 3"
    assert difference(freeze(Point(1, FakeTensor([0.0] * 5))), freeze(Point(1, FakeTensor([0.0] * 4 + [1.0])))) == (
        ".y: element 4: eager 0.0, exported 1.0"
    )
    assert not same(freeze(Slotted(1)), freeze(Slotted(2)))
    assert same(freeze(Slotted(1)), freeze(Slotted(1)))


def test_objects_of_different_classes_differ_even_with_the_same_state():
    assert not same(freeze(Point(1, 2)), freeze(OtherPoint(1, 2)))
    assert difference(freeze(Point(1, 2)), freeze(OtherPoint(1, 2))).startswith("class: eager ")


def test_an_object_without_attributes_compares_by_its_repr_without_addresses():
    assert same(freeze(object()), freeze(object()))  # "<object object at 0x…>" both
    assert freeze(Opaque())[2:] == ("repr", "<Opaque at 0x…>")
    assert same(freeze(Opaque()), freeze(Opaque()))
    assert same(freeze(len), freeze(len))
    assert not same(freeze(len), freeze(abs))
    assert not same(freeze(object()), freeze(len))


def test_a_self_referencing_or_deeply_nested_value_is_frozen_without_recursing_forever():
    first, second = Point(1, None), Point(1, None)
    first.y, second.y = first, second
    assert same(freeze(first), freeze(second))
    nested = deep = []
    for _ in range(5_000):
        deep.append([])
        deep = deep[0]
    assert same(freeze(nested), freeze(nested))
