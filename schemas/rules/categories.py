"""Which area (Category) a stretch of text is about: keyword rules for the 11 areas of domain.md.

Each area has keywords; a keyword found in the text scores its length (longer phrases are more
specific: 行政复议 outweighs 复议, 规范性文件 outweighs 文件). `classify` picks the best-scoring area.
`classify_layers` weighs several texts, innermost first (the clause, its sentence, its item
heading, its section heading), so that a clause with no telling word falls back on its heading.
"""

import re
from collections.abc import Sequence
from functools import lru_cache

from schemas.enums import Category

KEYWORDS: dict[Category, tuple[str, ...]] = {
    Category.leadership: (
        "党的领导", "第一责任人", "述法", "学法", "理论学习中心组", "中心组", "法治学习", "专题学习", "集体学习",
        "领导干部", "任前法律知识考试", "法律知识考试", "学法考试", "法治考试", "宪法宣誓",
        "宣誓", "法治督察", "督察", "督查", "法治建设责任", "考核", "法治素养", "干部培训", "培训班", "专题讲座",
        "法治讲座", "党组", "述职", "法治政府建设示范", "示范创建", "学习培训", "法律法规学习",
        "法治意识", "法治思维", "依法行政意识", "法治观念", "思想认识", "重视不够", "习近平法治思想",
    ),
    Category.government_functions: (
        "放管服", "营商环境", "政务服务", "审批", "一网通办", "网办", "办件", "12345", "热线", "工单",
        "市场主体", "经营主体", "商事主体", "个体工商户", "企业", "民营", "权责清单", "负面清单", "信用",
        "证明事项", "无证明", "便民", "窗口", "一件事", "跨省通办", "复工", "融资", "信易贷", "不见面",
        "职能转变", "惠企", "用地", "政务便民", "一窗", "秒批", "通办", "行政许可事项", "减税降费",
        "公共服务", "认领率", "帮办", "代办", "包联", "助企", "政府职能", "市场准入", "登记注册",
    ),
    Category.rules: (
        "规范性文件", "立法", "规章", "地方性法规", "地方法规", "备案审查", "文件清理", "制度体系", "草案",
        "立法联系点", "立法意见", "认定为", "拟以市政府", "拟以县政府", "拟以区政府", "政府规章", "备案通过率",
    ),
    Category.decisions: (
        "重大行政决策", "决策", "合法性审查", "合法性审核", "法律顾问", "公职律师", "律师顾问", "合同", "风险评估",
        "专家论证", "常务会议议题", "议题", "决策事项", "审查意见书", "审查建议", "法律意见",
    ),
    Category.enforcement: (
        "行政执法", "执法", "执法证", "持证", "案卷", "评查", "行政处罚", "处罚", "罚没", "行政强制", "行政检查",
        "三项制度", "裁量", "执法监督", "综合行政执法", "监督员", "双随机", "行刑衔接", "执法记录仪", "法制审核",
        "柔性执法", "包容审慎", "免罚", "从轻", "减轻", "行政征收", "行政给付", "督导检查", "明察暗访",
        "法制工作", "法制机构", "法规科", "法制科", "法制(规)科", "法规工作", "案件移送", "执法事项", "执法人员",
        "监督证", "涉企检查",
    ),
    Category.emergencies: (
        "突发事件", "应急", "演练", "预案", "救援", "防汛", "汛期", "灾害", "隐患", "安全生产", "水库", "淤地坝",
        "水电站", "疫情防控", "值守", "预警", "物资", "抢险", "消防", "森林防火", "叫应",
    ),
    Category.disputes: (
        "行政复议", "复议", "行政诉讼", "应诉", "出庭", "败诉", "调解", "调委会", "矛盾纠纷", "纠纷", "信访",
        "来信来访", "接访", "府院联动", "行政争议", "诉讼", "人民调解", "调处", "化解", "枫桥", "市长信箱",
        "留言", "共享法庭", "诉源治理", "被诉", "审结", "纠错", "驳回", "维持原", "调撤", "开庭", "访",
    ),
    Category.oversight: (
        "人大代表建议", "代表建议", "政协提案", "委员提案", "提案", "建议提案", "检察建议", "审计", "政务公开",
        "信息公开", "依申请公开", "主动公开", "巡察", "人大监督", "民主监督", "问责", "纪检监察", "政府网站",
        "门户网站", "司法建议", "两公开", "公开", "公示", "监督", "上缴财政", "违规", "公告", "政策解读",
    ),
    Category.digital: (
        "数字化", "数字法治", "数字政府", "信息化", "电子证照", "大数据", "互联网", "智慧", "智治", "专属网页",
        "新媒体", "APP", "小程序", "一网统管", "数字赋能", "应用", "系统", "平台",
    ),
    Category.legal_services: (
        "普法", "法治宣传", "宣传", "宣讲", "法律援助", "法援", "公共法律服务", "法律咨询", "法律明白人",
        "民主法治村", "民主法治示范", "法治文化", "法律服务", "公证", "司法鉴定", "受教育", "宣传资料",
        "法律帮助", "法律九进", "八五", "七五", "法治副校长", "法律进", "法治体检", "村规民约", "村(社区)法律顾问",
        "村居法律顾问", "法治教育", "以案释法", "法律知识", "法治讲座", "八进", "12348",
    ),
}

_PATTERN = re.compile("|".join(sorted({re.escape(k) for ks in KEYWORDS.values() for k in ks}, key=len, reverse=True)))
_AREA_OF: dict[str, list[Category]] = {}
for _area, _words in KEYWORDS.items():
    for _word in _words:
        _AREA_OF.setdefault(_word, []).append(_area)


@lru_cache(maxsize=16384)
def scores(text: str) -> dict[Category, float]:
    """Keyword score per area: each keyword occurrence counts its length."""
    result: dict[Category, float] = {}
    for m in _PATTERN.finditer(text):
        for area in _AREA_OF[m[0]]:
            result[area] = result.get(area, 0.0) + min(len(m[0]), 4)
    return result


def best(score: dict[Category, float], default: Category) -> Category:
    """The area with the highest score; `default` when nothing scored."""
    if not score:
        return default
    return max(score.items(), key=lambda kv: (kv[1], -list(KEYWORDS).index(kv[0])))[0]


def classify(text: str, default: Category = Category.other) -> Category:
    """The area the words of `text` point to; `default` when none does."""
    return best(scores(text), default)


def classify_layers(texts: Sequence[str], weights: Sequence[float], default: Category = Category.other) -> Category:
    """The best area over several texts (innermost first), each text's scores times its weight."""
    total: dict[Category, float] = {}
    for text, weight in zip(texts, weights):
        for area, score in scores(text).items():
            total[area] = total.get(area, 0.0) + score * weight
    return best(total, default)
