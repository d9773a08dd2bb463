import pytest
from django.core.exceptions import ValidationError

from eldercare.regions import services
from eldercare.regions.models import Level, Region, subtree_bounds


def test_subtree_bounds_per_level():
    assert subtree_bounds("330100000000", Level.CITY) == ("330100000000", "330199999999")
    assert subtree_bounds("330102000000", Level.COUNTY) == ("330102000000", "330102999999")
    assert subtree_bounds("330102001000", Level.STREET) == ("330102001000", "330102001999")
    assert subtree_bounds("330102001001", Level.COMMUNITY) == ("330102001001", "330102001001")


def test_subtree_holds_descendants_only(city):
    codes = set(Region.objects.subtree(city.county).values_list("code", flat=True))
    assert codes == {c.code for c in (city.county, city.street, city.community, city.community_b, city.street2, city.community2)}
    assert city.community_far.code not in set(Region.objects.subtree(city.county).values_list("code", flat=True))


def test_ancestors_from_root_down(city):
    assert [r.name for r in city.community.ancestors()] == ["杭州市", "上城区", "清波街道"]
    assert city.county.contains(city.community.code)
    assert not city.county.contains(city.community_far.code)


@pytest.mark.parametrize(
    "code,level,parent_attr,field",
    [
        ("33010200100", Level.COMMUNITY, "street", "code"),  # 11 digits
        ("33010200100a", Level.COMMUNITY, "street", "code"),
        ("330102001100", Level.STREET, "county", "code"),  # non-zero digits after the street's own 9
        ("330105001002", Level.COMMUNITY, "street", "code"),  # not under its parent 330102001
        ("330102003000", Level.STREET, "street", "level"),  # level not parent + 1
    ],
)
def test_invalid_regions_are_refused(city, code, level, parent_attr, field):
    with pytest.raises(ValidationError) as info:
        services.region_create(code=code, name="x", level=level, parent=getattr(city, parent_attr))
    assert field in info.value.error_dict


def test_valid_region_is_created(city):
    created = services.region_create(code="330102001003", name="新社区", level=Level.COMMUNITY, parent=city.street)
    assert created.parent == city.street
