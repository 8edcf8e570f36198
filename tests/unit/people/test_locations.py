"""Location lists for menus."""
from casecore.people.locations import alphabetical


def test_places_sort_as_a_reader_expects():
    names = [p.name for p in alphabetical([("a", "Mopti"), ("b", "Ménaka"), ("c", "kayes"), ("d", "Ségou")])]
    assert names == ["kayes", "Ménaka", "Mopti", "Ségou"]
