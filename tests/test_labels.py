"""A cell's label: its outcome with the one fact that explains it."""

from exportmatrix.base.outcomes import label


def test_a_divergence_of_many_names_of_one_kind_is_labelled_by_its_group():
    names = ["buffer layer%d.bn.num_batches_tracked" % i for i in range(20)]
    groups = [{"kind": "buffer", "name": "num_batches_tracked", "names": names}]
    differences = [{"what": name} for name in names[:10]]
    observation = {"outcome": "diverges", "evidence": {"differences": differences, "difference_groups": groups}}
    assert label(observation) == "diverges (buffer *.num_batches_tracked (20))"


def test_a_group_of_one_name_reads_as_before_and_older_evidence_still_labels():
    groups = [{"kind": "attribute", "name": "n", "names": ["attribute n"]}] * 2  # after call 1 and after call 2
    groups += [{"kind": "output", "name": "output of call 2", "names": ["output of call 2"]}]
    differences = [{"what": "attribute n"}, {"what": "output of call 2"}]
    grouped = {"outcome": "diverges", "evidence": {"differences": differences, "difference_groups": groups}}
    older = {"outcome": "diverges", "evidence": {"differences": differences}}
    assert label(grouped) == label(older) == "diverges (attribute n, output of call 2)"
