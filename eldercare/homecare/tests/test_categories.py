"""Service categories are data, each cited to the seed that names it in the seed's own words."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eldercare.core.datafiles import DataFileError
from eldercare.homecare.catalog import catalog, category_bits
from eldercare.homecare.models import ServiceCategory, ServiceItem

SEEDS_DIR = Path(os.environ.get("ELDERCARE_SEEDS", Path(__file__).resolve().parents[4] / "shared" / "seeds"))

# What each seed says (copied from the seed documents; the last test checks the copies against them).
SEED_TEXT = {
    "000": (
        "社区养老服务,是以社区为依托,采取全托、日托、上门等方式,为社区或居家生活的老年人提供生活照料、康复护理、助餐助行、紧急救援、"
        "精神慰藉等服务和产品的总称",
        "提供定期体检、上门巡诊、家庭病床、社区护理、健康管理等基本服务",
    ),
    "001": (
        "由专业化社会养老服务企业和组织对各类老年群体提供专业化的机构养老服务、日间照料服务、“六助”(助餐、助浴、助洁、助行、助医、助急)上门服务",
        "负责本辖区和附近老年人的生活照料、助餐助洁、康复护理、精神慰藉、文化娱乐和信息化服务等",
        "具有生活照料、医疗保健、康复辅助、精神慰藉、文教体娱、法律维权、紧急救援、居家服务、政策咨询、智慧养老等功能",
    ),
    "003": ("深化认知症照护", "对符合条件的医疗卫生机构和个人提供签约服务、医养结合服务、安宁疗护等居家养老服务给予相应补贴"),
    "004": ("為“老老人”居家養老提供康復護理、就醫陪診、家政維修等服務",),
}
# The kinds of service the seeds name that the catalogue must carry (issue: the six helps and the rest).
NAMED = {
    "meal": "助餐", "bath": "助浴", "clean": "助洁", "mobility": "助行", "medical": "助医", "emergency": "助急",
    "life_care": "生活照料", "rehab": "康复护理", "comfort": "精神慰藉", "culture": "文化娱乐", "legal": "法律维权",
    "policy_advice": "政策咨询", "repairs": "家政維修", "health": "健康管理", "dementia": "认知症照护", "hospice": "安宁疗护",
}  # fmt: skip


def test_every_category_the_seeds_name_is_there_with_its_words():
    categories, items = catalog()
    by_code = {c["code"]: c for c in categories}
    assert set(NAMED) <= set(by_code)
    for code, words in NAMED.items():
        c = by_code[code]
        assert words in c["quote"], code  # the quote names the category itself
        assert any(c["quote"] in clause for clause in SEED_TEXT[c["seed"]]), (code, c["seed"])
    assert set(by_code) == {i["category"] for i in items}  # every category can be ordered


def test_categories_and_items_are_synced_by_migrate(db):
    categories, items = catalog()
    assert list(ServiceCategory.objects.filter(active=True).values_list("code", flat=True)) == [c["code"] for c in categories]
    hospice = ServiceCategory.objects.get(code="hospice")
    assert "安宁疗护" in hospice.citation and hospice.citation.startswith("seed 003")
    assert ServiceItem.objects.filter(active=True, category__code="health").count() == 2  # 定期体检, 上门巡诊
    assert len(set(category_bits().values())) == len(categories)  # one bit each


def test_a_broken_catalogue_names_the_entry(tmp_path):
    bad = tmp_path / "catalog.yaml"
    bad.write_text(
        "source: x\ncategories:\n  - {code: meal, name: 助餐, seed: '009', quote: 助餐}\nitems: []\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as refused:
        catalog(bad)
    assert "seed" in str(refused.value)
    bad.write_text(
        "source: x\ncategories:\n  - {code: meal, name: 助餐, seed: '001', quote: 助餐}\n"
        "items:\n  - {code: x, name: x, category: hospice, unit: visit, minutes: 10}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as unknown:
        catalog(bad)
    assert "category" in str(unknown.value)


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed documents are not on this machine")
def test_the_seed_text_here_is_the_seeds():
    files = {path.name[:3]: path.read_text(encoding="utf-8") for path in SEEDS_DIR.glob("*.txt")}
    for seed, clauses in SEED_TEXT.items():
        for clause in clauses:
            assert clause in files[seed], (seed, clause[:20])
