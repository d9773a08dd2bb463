"""Word lists and figures behind the synthetic city. Plain data, no logic.

Everything here is ordered (tuples), so the generator's output depends only on
the seed and the sizes, never on dict or set ordering.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = ("330000000000", "浙江省")
CITY = ("330100000000", "杭州市")


@dataclass(frozen=True)
class CountySpec:
    code6: str
    name: str
    main_urban: bool  # 主城区
    rural_share: float  # share of its communities that are villages (村) under towns (镇/乡)
    elder_weight: float  # relative number of residents aged 60+ (about 10,000s)
    lat: float  # approximate centre
    lng: float
    radius: float  # spread of its streets around the centre, in degrees


# Hangzhou's districts and counties with their real GB/T 2260 codes. Centres
# are approximate; weights are rough shares of the 60+ population.
COUNTIES: tuple[CountySpec, ...] = (
    CountySpec("330102", "上城区", True, 0.0, 36, 30.270, 120.190, 0.035),
    CountySpec("330105", "拱墅区", True, 0.0, 30, 30.320, 120.140, 0.035),
    CountySpec("330106", "西湖区", True, 0.1, 24, 30.250, 120.100, 0.045),
    CountySpec("330108", "滨江区", True, 0.0, 7, 30.200, 120.200, 0.025),
    CountySpec("330109", "萧山区", True, 0.25, 33, 30.160, 120.270, 0.090),
    CountySpec("330110", "余杭区", True, 0.2, 18, 30.330, 119.950, 0.080),
    CountySpec("330111", "富阳区", False, 0.5, 18, 30.050, 119.950, 0.100),
    CountySpec("330112", "临安区", False, 0.55, 15, 30.230, 119.720, 0.120),
    CountySpec("330113", "临平区", True, 0.1, 14, 30.420, 120.300, 0.050),
    CountySpec("330114", "钱塘区", True, 0.1, 8, 30.300, 120.420, 0.050),
    CountySpec("330122", "桐庐县", False, 0.75, 10, 29.800, 119.690, 0.100),
    CountySpec("330127", "淳安县", False, 0.85, 10, 29.610, 119.040, 0.150),
    CountySpec("330182", "建德市", False, 0.8, 11, 29.480, 119.280, 0.120),
)

# Syllables for place names: first + second, e.g. 文 + 晖 → 文晖街道 / 文晖社区.
PLACE_FIRST = tuple(
    "文湖西溪云望南紫凯采丁笕彭九长潮米和拱半康祥石古翠北留转灵蒋三五金城新东宁闻瓜义河白临塘崇良仁星乔余"
    "朝德庆清小环华桃杨柳梅竹松桂荷兰春秋安太永丰吉福瑞嘉景明光双龙凤鹤玉宝泉"
)
STREET_SECOND = tuple("晖滨江星阳桥埠堡荡宸墩港浦湖溪山林园兴安平宁前塘坞")
URBAN_SECOND = tuple("晖苑园里坊湾桥港庭城岸景林荷兰宸塘湖江溪星阳新华和安宁隆福")
RURAL_SECOND = tuple("家坞岭坑塘桥山溪口田畈湾头源埠坪岙垄庄店洲浦墩弄")
CHINESE_NUMERALS = tuple("一二三四五六七八九十")
VILLAGE_PREFIXES = tuple("上下前后东西南北大小")
ROAD_SUFFIXES = ("路", "街", "大道", "巷")

# Surnames common in Hangzhou, with rough relative frequencies.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 70),
    ("陈", 65),
    ("张", 45),
    ("李", 40),
    ("徐", 35),
    ("周", 32),
    ("沈", 30),
    ("吴", 30),
    ("朱", 28),
    ("金", 25),
    ("杨", 24),
    ("胡", 22),
    ("钱", 20),
    ("孙", 18),
    ("方", 18),
    ("黄", 18),
    ("俞", 15),
    ("赵", 15),
    ("叶", 15),
    ("刘", 15),
    ("许", 14),
    ("蒋", 14),
    ("何", 12),
    ("郑", 12),
    ("汪", 12),
    ("姚", 11),
    ("潘", 11),
    ("章", 10),
    ("林", 10),
    ("丁", 9),
    ("程", 9),
    ("吕", 8),
    ("施", 8),
    ("傅", 8),
    ("邵", 8),
    ("高", 8),
    ("余", 8),
    ("宋", 7),
    ("顾", 7),
    ("马", 7),
    ("谢", 7),
    ("楼", 7),
    ("毛", 7),
    ("陆", 7),
    ("杜", 6),
    ("郭", 6),
    ("应", 6),
    ("童", 6),
    ("戴", 6),
    ("洪", 6),
    ("夏", 6),
    ("严", 6),
    ("鲍", 5),
    ("韩", 5),
    ("华", 5),
    ("袁", 5),
    ("邱", 5),
    ("骆", 5),
    ("卢", 5),
    ("范", 5),
    ("葛", 5),
    ("曹", 5),
    ("裘", 4),
    ("郎", 4),
    ("虞", 4),
    ("翁", 4),
    ("诸", 3),
    ("屠", 3),
    ("来", 3),
    ("闻", 3),
    ("褚", 3),
    ("竺", 2),
)

# Given names typical of people born 1920s-1960s.
ELDER_MALE_GIVEN = tuple(
    "建国 建华 建平 国强 国华 国平 国庆 德明 德福 福生 根生 金根 水根 阿根 志明 志强 志刚 永康 永福 永昌 "
    "文华 文龙 家明 明德 长林 长根 海林 树林 顺法 炳林 荣根 荣华 桂林 洪生 宝林 宝根 忠良 卫东 卫国 红军 "
    "解放 援朝 跃进 振华 兴华 和平 胜利 新民 学文 立新 伟民 金龙 金海 土根 阿毛 关法 茂林 正林 松林 "
    "鑫 刚 勇 强 军 明 华 平 伟 忠 林 生 海 良 祥 荣".split()
)
ELDER_FEMALE_GIVEN = tuple(
    "秀英 桂英 凤英 玉英 秀兰 玉兰 桂兰 月英 美英 彩凤 爱华 丽华 淑珍 淑英 秀珍 桂芳 菊英 金娣 彩娣 根娣 "
    "月娥 素珍 素芳 雪芳 美娟 建英 惠芬 惠珍 杏娟 月仙 翠英 宝娣 阿娥 小妹 红英 国英 美华 巧英 彩琴 佩芳 "
    "金凤 银娣 招娣 杏花 梅英 亚芬 引娣 雅琴 月琴 素娥 "
    "珍 英 兰 芳 萍 红 华 娟 琴 凤 梅 霞".split()
)
# Given names of their children (born 1960s-1990s).
CHILD_MALE_GIVEN = tuple(
    "伟 斌 磊 军 杰 涛 强 勇 峰 晨 浩 俊 宇 剑 鹏 波 建军 海峰 晓东 志华 建伟 卫明 明华 国锋 立峰 "
    "晓军 建新 永刚 海涛 伟强 俊杰 志远 宏伟 文斌 晓峰".split()
)
CHILD_FEMALE_GIVEN = tuple(
    "燕 丽 静 敏 婷 芳 霞 红 琳 慧 萍 颖 洁 佳 晓燕 丽娟 海燕 雪梅 晓红 丽萍 美玲 静怡 丽君 晓英 红梅 亚萍 雅芳 春燕 秀丽 海英".split()
)

MOBILE_PREFIXES = tuple(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 180 181 182 183 184 185 186 187 188 189".split()
)

# Share of elders (not households) in each living arrangement, split by how many
# elders the household holds: (status, elders in the household, share of elders).
HOUSEHOLD_KINDS: tuple[tuple[str, int, float], ...] = (
    ("alone", 1, 0.10),
    ("empty_nest", 2, 0.40),
    ("left_behind", 1, 0.01),
    ("left_behind", 2, 0.01),
    ("with_family", 1, 0.225),
    ("with_family", 2, 0.225),
    ("in_institution", 1, 0.03),
)

# Age structure of the 60+ population: (first age, last age, share, yearly decay within the band).
AGE_BANDS: tuple[tuple[int, int, float, float], ...] = (
    (60, 69, 0.55, 0.95),
    (70, 79, 0.30, 0.92),
    (80, 89, 0.125, 0.85),
    (90, 104, 0.025, 0.72),
)
# Share of women among all elders, by the same bands (about China's 2020 census).
# Couples are one man and one woman, so elders not in a couple make up the difference.
FEMALE_SHARE = ((60, 0.51), (70, 0.53), (80, 0.58), (90, 0.66))
# Living arrangements lean by age: each household draws a sort key of this offset (years)
# plus noise; households are then given the pool of drawn ages in key order, so the
# age structure stays exact while couples are younger and institution residents older.
AGE_LEAN = {"alone": 4.0, "empty_nest": -3.0, "left_behind": 0.0, "with_family": 2.0, "in_institution": 8.0}
AGE_LEAN_NOISE = 8.0

# Priority groups. Disability: 23.44 % of the 80+ (Beijing, seeds/004), about 6 % below 80.
DISABLED_80_PLUS = 0.2344
DISABLED_UNDER_80 = 0.06
DISABILITY_LEVELS = (("mild", 0.5), ("moderate", 0.3), ("severe", 0.2))
DEMENTIA_80_PLUS = 0.05
DEMENTIA_UNDER_80 = 0.015
# Mutually exclusive means tests, cumulative thresholds on one draw.
POVERTY_GROUPS = (("tekun", 0.005), ("dibao", 0.03), ("dibao_edge", 0.01), ("expenditure_poor", 0.005))
FP_SPECIAL = 0.01
SEVERE_HANDICAP = 0.01

# Registry status changes over the past year.
DECEASED = 0.02
MOVED_OUT = 0.005
HUKOU_ELSEWHERE = 0.10  # registered (户籍) in a different community than the one they live in

INSTITUTION_SUFFIXES = ("颐养院", "老年公寓", "护理院", "康养中心", "养老院", "福利院")
OWNERSHIP_MIX = (("public", 0.25), ("public_private", 0.35), ("private", 0.40))
