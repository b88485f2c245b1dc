"""Stories (DESIGN.md, "Changes between releases"): changes that share one
cause are one story, two causes in one release pair stay two, on stand-in
matrices; and the upstream links of the suite's known.toml, checked on load."""

from pathlib import Path

import pytest
from streams_factory import environment, observation, write_stream

from exportmatrix.config import ConfigError
from exportmatrix.config.upstream_links import KNOWN_FILE, Link, load_links, parse_links
from exportmatrix.merge import aggregate
from exportmatrix.reports.changes import outcome_changes
from exportmatrix.reports.stories import normalise, stories
from exportmatrix.reports.view import view


def refused(name):
    """Strict export's refusal of a module attribute mutation, naming the behaviour's own attribute."""
    message = "Mutating module attribute %s during export." % name
    return {"error": {"type": "AssertionError", "module": "builtins", "message": message}}


def diverged(what, arose="call 1"):
    return {"differences": [{"what": what, "after_call": 1, "arose": arose, "eager": "1", "exported": "0"}]}


def two_releases(folder, before, after):
    for minor, cells in ((9, before), (10, after)):
        version = "2.%d.0" % minor
        write_stream(folder, environment("torch-%s-py3.11" % version, "2.%d" % minor, version), cells)
    matrix = aggregate(folder).matrix
    return matrix, outcome_changes(matrix)


SEVEN = ["attr.a", "attr.b", "attr.c", "attr.d", "attr.e", "attr.f", "buffer.g"]


def test_one_cause_over_seven_behaviours_and_two_paths_is_one_story(tmp_path):
    paths = ("export_strict", "dynamo_export")
    before = [observation(b, p, "export-error", refused("x%d" % n)) for n, b in enumerate(SEVEN) for p in paths]
    after = [observation(b, p, "diverges", diverged("attribute x%d" % n)) for n, b in enumerate(SEVEN) for p in paths]
    matrix, changes = two_releases(tmp_path, before, after)
    (story,) = stories(matrix, changes)
    assert story.kind == "became silent" and len(story.changes) == 14
    assert story.behaviours == SEVEN and sorted(story.paths) == sorted(paths)
    assert story.before == "export-error (AssertionError: Mutating module attribute … during export.)"
    assert story.after == "diverges (attribute after call 1)"
    assert story.representative.behaviour == "attr.a" and story.unexplained


def test_two_causes_in_one_release_pair_stay_two_stories(tmp_path):
    # both became silent 2.9 → 2.10, but one now differs in a buffer during capture, the other in an output
    before = [observation(b, "export_strict", "export-error", refused(b)) for b in ("a", "b", "c", "d")]
    after = [observation(b, "export_strict", "diverges", diverged("buffer buf", "capture")) for b in ("a", "b")]
    after += [observation(b, "export_strict", "diverges", diverged("output of call 2")) for b in ("c", "d")]
    matrix, changes = two_releases(tmp_path, before, after)
    found = stories(matrix, changes)
    assert [(s.after, s.behaviours) for s in found] == [
        ("diverges (buffer after capture)", ["a", "b"]),
        ("diverges (output after call 1)", ["c", "d"]),
    ]


def test_another_error_kind_is_another_story_and_the_bigger_story_comes_first(tmp_path):
    other = {"error": {"type": "TypeError", "module": "builtins", "message": "unhashable type: 'FakeTensor'"}}
    before = [observation(b, "p", "holds") for b in ("a", "b", "c")]
    after = [observation("a", "p", "export-error", other)]
    after += [observation(b, "p", "export-error", refused(b)) for b in ("b", "c")]
    matrix, changes = two_releases(tmp_path, before, after)
    assert [(s.kind, s.behaviours) for s in stories(matrix, changes)] == [("broke", ["b", "c"]), ("broke", ["a"])]


def test_a_message_loses_what_is_particular_to_one_behaviour():
    assert normalise("Mutating module attribute count during export.") == normalise(
        "Mutating module attribute hidden_state during export."
    )
    assert normalise("Cannot assign to the buffer named running_mean") == "Cannot assign to the buffer named …"
    assert normalise("expected 3 arguments, got 'x'") == "expected N arguments, got '…'"
    assert normalise("Mutating module attribute a") != normalise("Mutating a global during export")


def test_one_name_or_several_and_singular_or_plural_read_the_same():
    """Strict export's refusal of assigned tensor attributes names one or
    several, in the singular or the plural, by index or key: one cause."""
    one = normalise("The tensor attribute self.a was assigned during export. Such attributes must be buffers")
    assert (
        normalise(
            "The tensor attributes self.a, self.b[0] were assigned during export. Such attributes must be buffers"
        )
        == one
    )
    assert (
        normalise("The tensor attribute self.c['k'] was assigned during export. Such attributes must be buffers") == one
    )
    assert normalise("Constant lifted_tensor_0 is mutated") == normalise("Constant L__self___shared is mutated")
    assert normalise("Unsupported: 'foo'") == "Unsupported: '…'"  # a quoted name keeps its quotes
    # the word after a kind of state is a name only where it is not prose
    assert one == "The tensor attribute … was assigned during export. Such attributes must be buffers"
    assert normalise("buffers are not supported") == "buffers are not supported"


LINK = {"ref": "pytorch/pytorch#1", "says": "a bug", "status": "bug", "behaviours": ["attr.a"]}


def parse(*links, path=Path("known.toml")):
    return parse_links({"link": list(links)}, path, {"attr.a", "attr.b"}, {"export_strict"}, ("2.9", "2.10"))


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"behaviours": ["attr.zz"]}, "known.toml: link 1 (pytorch/pytorch#1): unknown behaviour 'attr.zz'"),
        ({"paths": ["export_lax"]}, "known.toml: link 1 (pytorch/pytorch#1): unknown capture path 'export_lax'"),
        ({"releases": ["2.99"]}, "known.toml: link 1 (pytorch/pytorch#1): unknown release '2.99'"),
        ({"releases": ["soon"]}, "release 'soon' is not a version"),
        ({"ref": "#12"}, "ref '#12' is not owner/repo#number"),
        ({"status": "maybe"}, "status 'maybe' is not one of bug, fixed, expected, open"),
        ({"url": "x"}, "unknown key 'url'"),
        ({"behaviours": []}, "behaviours is empty"),
    ],
)
def test_a_link_to_what_does_not_exist_is_an_error_naming_it(change, expected):
    with pytest.raises(ConfigError, match=None) as raised:
        parse(dict(LINK, **change))
    assert expected in str(raised.value)


def test_a_link_matches_its_behaviour_path_and_releases():
    (link,) = parse(dict(LINK, paths=["export_strict"], releases=["2.9"]))
    assert link.concerns("attr.a", "export_strict", ("2.9", "2.10"))
    assert link.concerns("attr.a", "export_strict", ("2.9.1",))  # a minor covers its patch releases
    assert not link.concerns("attr.a", "export_strict", ("2.10",))
    assert not link.concerns("attr.a", "dynamo_export", ("2.9",))
    assert not link.concerns("attr.b", "export_strict", ("2.9",))
    assert link.url == "https://github.com/pytorch/pytorch/issues/1"


def test_a_story_with_a_link_is_explained_and_the_view_shows_it_beside_the_cell(tmp_path):
    before = [observation("attr.a", "export_strict", "export-error", refused("x"))]
    after = [observation("attr.a", "export_strict", "diverges", diverged("attribute x"))]
    matrix, changes = two_releases(tmp_path, before, after)
    link = Link("pytorch/pytorch#2", "strict export stopped refusing", "expected", ("attr.a",), releases=("2.10",))
    (story,) = stories(matrix, changes, [link])
    assert story.links == (link,) and not story.unexplained
    shown = view(matrix, [link])
    cells = {(o["environment"], o["exporter"]): i for i, o in enumerate(matrix["observations"])}
    assert shown.cell_links(cells[("torch-2.10.0-py3.11", "export_strict")]) == [link]
    assert shown.cell_links(cells[("torch-2.9.0-py3.11", "export_strict")]) == []


def test_the_suites_known_links_load_and_are_enough():
    links = load_links(KNOWN_FILE)
    assert len(links) >= 15 and len({link.ref for link in links}) == len(links)
    assert all(link.says and link.behaviours for link in links)


def test_matrix_md_leads_with_the_stories_each_with_its_links_or_unexplained(tmp_path, monkeypatch):
    import sys

    from exportmatrix.reports import markdown

    view_module = sys.modules["exportmatrix.reports.view"]  # the module: the package exports its function `view`

    before = [observation(b, "export_strict", "export-error", refused(b)) for b in ("attr.a", "attr.b")]
    before += [observation("attr.c", "export_strict", "holds")]
    after = [observation(b, "export_strict", "diverges", diverged("attribute " + b)) for b in ("attr.a", "attr.b")]
    after += [observation("attr.c", "export_strict", "export-error", refused("c"))]
    matrix, _ = two_releases(tmp_path, before, after)
    link = Link("pytorch/pytorch#2", "strict export stopped refusing", "expected", ("attr.a",))
    monkeypatch.setattr(view_module, "load_links", lambda: [link])
    text = markdown.render(matrix)
    assert text.index("## Stories, worst first") < text.index("## Release notes") < text.index("## export_strict")
    silent = text.index("### 2.9 → 2.10: became silent, 2 cells (2 behaviours, 1 path)")
    broke = text.index("### 2.9 → 2.10: broke, 1 cell (1 behaviour, 1 path)")
    assert silent < broke
    assert (
        "- upstream: [pytorch/pytorch#2](https://github.com/pytorch/pytorch/issues/2) (expected)" in text[silent:broke]
    )
    assert "- upstream: **unexplained**" in text[broke:]
    assert "- cells: `attr.a` on export_strict; `attr.b` on export_strict" in text[silent:broke]


def test_a_wrong_output_that_follows_from_wrong_state_does_not_split_a_story(tmp_path):
    state_only = diverged("attribute n")
    state_and_output = {"differences": state_only["differences"] + diverged("output of call 2")["differences"]}
    before = [observation(b, "export_strict", "export-error", refused(b)) for b in ("a", "b")]
    after = [observation("a", "export_strict", "diverges", state_only)]
    after += [observation("b", "export_strict", "diverges", state_and_output)]
    matrix, changes = two_releases(tmp_path, before, after)
    (story,) = stories(matrix, changes)
    assert story.after == "diverges (attribute after call 1)" and story.behaviours == ["a", "b"]
