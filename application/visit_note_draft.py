"""A rep's visit note (Chinese or English text) read into a structured draft, no I/O.

    draft = draft_from_text("今天拜访浙一医院放射科李主任，聊了DSA维保续签，他同意对比报价，"
                            "下周三前给反馈", language=None, customers=mine,
                            contacts=theirs, now=recorded_at, zone=ZoneInfo("Asia/Shanghai"))

What is read, and how (simple on purpose; the rep confirms or edits every field):

- **Customer**: only among ``customers`` (the rep's). Names and note are normalised (NFKC,
  so full-width letters and digits become half-width; case folded; punctuation dropped;
  ``#4``, ``No. 4``, ``4号店`` all become the token ``#4``), abbreviations expanded from
  :data:`ALIASES` (浙一 -> 浙江大学医学院附属第一医院, ...; a small table in code, not a
  column). A name is cut into features (Chinese character pairs, Latin words, ``#n``), each
  weighted by how rare it is among the customers; the score is the matched weight over the
  name's weight (a Latin word matches a note word that is close enough, so a typo or two
  still counts). The best score >= 0.5 wins; ``confidence`` is that score.
- **Contact**: among the matched customer's ``contacts`` (without a customer, among all of
  them, and a unique hit names the customer): the full name, or surname + title (李主任,
  王经理, Dr Li, Mr Wang; a Chinese surname in an English note through :data:`PINYIN`). Several
  contacts with that surname: the title's decision role decides, else none is chosen.
- **Due date**: the last date phrase of the note that is not the visit's own day (今天拜访...,
  "visited ... today"), resolved in ``zone`` relative to ``now``. A bare date means the end of
  the working day, :data:`END_OF_DAY` (18:00 local); "前"/"by"/"before" keep that day.
  "下周三"/"next Wednesday": the Wednesday of next week (Monday-based weeks); "周三"/
  "Wednesday": the next one from today (today included); "本周五"/"this Friday": this week's
  (next week's once passed); "下周"/"next week" alone: next week's Friday; "月底"/"end of
  month": the month's last day; "下个月初"/"early next month": the 5th of next month; "两天后"
  /"in two days": that many days from now, same clock time unless a time is said. A month-day
  date already past this year is next year's.
- **Conclusion**: the first clause with an agreement word (同意, 答应, agreed, ...), else
  the last clause before the next action's clause. **Next action**: the clause holding the
  due date, else the last clause.

``unresolved`` names the fields the rep must fill in (customer, contact, due_at).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from difflib import SequenceMatcher
from typing import Any
from zoneinfo import ZoneInfo

from visitproof.records import Contact, Customer, DecisionRole
from visitproof.values import require_utc

END_OF_DAY = time(18, 0)
"""What a bare date means: the end of that working day, local time."""

MATCH_THRESHOLD = 0.5
"""The lowest customer score (matched weight / name weight) that names a customer."""

ALIASES: dict[str, str] = {
    "浙一": "浙江大学医学院附属第一医院",
    "浙二": "浙江大学医学院附属第二医院",
    "邵逸夫": "浙江大学医学院附属邵逸夫医院",
    "省人民": "浙江省人民医院",
    "市一": "杭州市第一人民医院",
    "沃尔玛": "walmart",
    "滨江": "binjiang",
    "zhejiang no. 1": "浙江大学医学院附属第一医院",
    "zju first hospital": "浙江大学医学院附属第一医院",
    "zju second hospital": "浙江大学医学院附属第二医院",
    "second affiliated hospital": "浙江大学医学院附属第二医院",
    "sir run run shaw": "浙江大学医学院附属邵逸夫医院",
    "provincial people's hospital": "浙江省人民医院",
    "hangzhou first people's hospital": "杭州市第一人民医院",
    "hualian": "华联",
    "lianhua": "联华",
    "wulin": "武林",
    "supermarket": "超市",
    "convenience store": "便利店",
    "convenience": "便利店",
    "hosp": "hospital",
    "dept": "department",
}
"""Abbreviations reps say, expanded in the note (and in names) before matching; keys are
matched after normalisation (lower case, no punctuation)."""

PINYIN: dict[str, str] = dict(zip(
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严武戴莫孔向汤",
    ["li", "wang", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
     "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang",
     "xu", "han", "feng", "deng", "cao", "peng", "zeng", "xiao", "tian", "dong", "yuan", "pan",
     "yu", "jiang", "cai", "yu", "du", "ye", "cheng", "su", "wei", "lv", "ding", "ren", "shen",
     "yao", "lu", "jiang", "cui", "zhong", "tan", "lu", "wang", "fan", "jin", "shi", "liao",
     "jia", "xia", "wei", "fang", "bai", "zou", "meng", "xiong", "qin", "qiu", "jiang", "yin",
     "xue", "yan", "duan", "lei", "hou", "long", "shi", "tao", "li", "he", "gu", "mao", "hao",
     "gong", "shao", "wan", "qian", "yan", "wu", "dai", "mo", "kong", "xiang", "tang"],
    strict=True))
"""Common Chinese surnames in pinyin, so "Dr Li" finds 李建国."""

_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "慕容")

# Title -> the decision role it suggests (None: a title that says nothing about the role).
_ZH_TITLES: dict[str, DecisionRole | None] = {
    "主任医师": DecisionRole.DEPARTMENT_HEAD, "主任": DecisionRole.DEPARTMENT_HEAD,
    "院长": DecisionRole.DEPARTMENT_HEAD, "科长": DecisionRole.EQUIPMENT_HEAD,
    "处长": DecisionRole.EQUIPMENT_HEAD, "工程师": DecisionRole.IT_ENGINEER,
    "工": DecisionRole.IT_ENGINEER, "护士长": DecisionRole.HEAD_NURSE,
    "药师": DecisionRole.PHARMACIST, "店长": DecisionRole.STORE_MANAGER,
    "经理": None, "老板": DecisionRole.OWNER, "总": None, "医生": None, "大夫": None,
    "老师": None, "会计": DecisionRole.FINANCE, "采购": DecisionRole.PURCHASING_OFFICER,
    "姐": None, "哥": None, "先生": None, "女士": None, "小姐": None,
}
_EN_TITLES: dict[str, DecisionRole | None] = {
    "dr": None, "doctor": None, "prof": None, "professor": None, "director":
    DecisionRole.DEPARTMENT_HEAD, "chief": DecisionRole.DEPARTMENT_HEAD, "manager": None,
    "mr": None, "mrs": None, "ms": None, "miss": None, "engineer": DecisionRole.IT_ENGINEER,
    "nurse": DecisionRole.HEAD_NURSE, "pharmacist": DecisionRole.PHARMACIST,
    "buyer": DecisionRole.PURCHASING_OFFICER, "owner": DecisionRole.OWNER,
}

_ZH_DEPARTMENTS = (
    "放射科", "影像科", "心内科", "心外科", "骨科", "检验科", "设备科", "设备处", "采购部",
    "采购科",
    "药剂科", "药房", "护理部", "信息科", "急诊科", "超声科", "介入科", "神经内科", "神经外科",
    "呼吸科", "儿科", "妇产科", "眼科", "麻醉科", "病理科", "核医学科", "肿瘤科", "消化科",
    "泌尿外科", "普外科", "手术室", "导管室", "重症医学科", "ICU", "生鲜部", "收银台", "仓库",
)
_EN_DEPARTMENTS = (
    "radiology", "cardiology", "orthopaedics", "orthopedics", "laboratory", "pharmacy",
    "purchasing", "procurement", "emergency", "ultrasound", "oncology", "icu", "it",
    "nursing", "surgery", "imaging", "neurology", "pathology", "equipment",
)

_AGREE = re.compile(r"同意|答应|认可|决定|确认|接受|愿意|可以|agree|accept|approv|confirm|"
                    r"decid|willing|ok with|okay with|signed|will try", re.IGNORECASE)
_VISIT_WORDS = re.compile(r"拜访|去了|见了|见到|到了|走访|visit|went|met|saw|called on|dropped by",
                          re.IGNORECASE)
_CLAUSE = re.compile(r"[，,。；;！!？?\n]+|(?<=[a-z0-9])\.\s+|\s+then\s+|\s+and then\s+",
                     re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    """The customer the note names: ``confidence`` 0..1 (matched weight / name weight)."""

    id: str
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """The contact the note names, with their decision role."""

    id: str
    name: str
    role: DecisionRole


@dataclass(frozen=True, slots=True)
class NextActionDraft:
    """The to-do: its clause, the due time (aware UTC; None when no date was said) and the
    phrase it was read from."""

    text: str
    due_at: datetime | None = None
    due_phrase: str | None = None


@dataclass(frozen=True, slots=True)
class VisitNoteDraft:
    """What a note says, for the rep to confirm or edit (see the module docstring)."""

    language: str
    customer: CustomerMatch | None
    department: str | None
    contact: ContactMatch | None
    conclusion: str | None
    next_action: NextActionDraft | None
    unresolved: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The draft as JSON-ready data (times as ISO 8601 UTC)."""
        action = self.next_action
        return {
            "language": self.language,
            "customer": None if self.customer is None else {
                "id": self.customer.id, "name": self.customer.name,
                "confidence": round(self.customer.confidence, 3)},
            "department": self.department,
            "contact": None if self.contact is None else {
                "id": self.contact.id, "name": self.contact.name,
                "role": self.contact.role.value},
            "conclusion": self.conclusion,
            "next_action": None if action is None else {
                "text": action.text, "due_phrase": action.due_phrase,
                "due_at": None if action.due_at is None else action.due_at.isoformat()},
            "unresolved": list(self.unresolved),
        }


def detect_language(text: str) -> str:
    """``zh`` when at least a tenth of the letters are CJK ideographs, else ``en``."""
    letters = [c for c in text if c.isalpha()]
    cjk = sum(1 for c in letters if _is_cjk(c))
    return "zh" if letters and cjk / len(letters) >= 0.1 else "en"


def draft_from_text(text: str, *, language: str | None, customers: Sequence[Customer],
                    contacts: Sequence[Contact], now: datetime,
                    zone: ZoneInfo) -> VisitNoteDraft:
    """The draft of one note. ``customers``: the rep's; ``contacts``: theirs; ``now``: when
    the note was recorded (aware); ``zone``: the tenant's time zone (dates are local)."""
    now = require_utc(now, "now")
    language = language or detect_language(text)
    normalised = normalise_text(text)
    customer = match_customer(normalised, customers)
    pool = [c for c in contacts if customer is None or c.customer_id == customer.id]
    contact = match_contact(text, pool)
    if customer is None and contact is not None:
        owner = next(c for c in contacts if c.id == contact.id).customer_id
        named = next((c for c in customers if c.id == owner), None)
        if named is not None:
            customer = CustomerMatch(id=named.id, name=named.name, confidence=0.5)
    clauses = [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]
    due = find_due(text, now=now, zone=zone)
    action_index = _clause_index(clauses, due[1]) if due is not None else len(clauses) - 1
    next_action = None
    if clauses:
        next_action = NextActionDraft(text=clauses[action_index],
                                      due_at=None if due is None else due[0],
                                      due_phrase=None if due is None else due[1])
    unresolved = tuple(name for name, value in (
        ("customer", customer), ("contact", contact),
        ("due_at", None if due is None else due[0])) if value is None)
    return VisitNoteDraft(
        language=language, customer=customer,
        department=find_department(text, customer, customers),
        contact=contact, conclusion=_conclusion(clauses, action_index),
        next_action=next_action, unresolved=unresolved)


# --- customers -----------------------------------------------------------------------------

def normalise_text(text: str) -> str:
    """NFKC, case folded, ``#n`` tokens for store numbers, punctuation as spaces, aliases
    expanded (:data:`ALIASES`)."""
    value = _plain(text)
    for short, long in _PLAIN_ALIASES:
        if _is_cjk(short[0]):
            value = value.replace(short, f" {long} ")
        else:
            value = re.sub(rf"(?<![\w#]){re.escape(short)}(?!\w)", f" {long} ", value)
    return re.sub(r"\s+", " ", value).strip()


def _plain(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).casefold()
    value = re.sub(r"(?:#|\bno\.?|\bnumber|\bstore|\bbranch)\s*(\d+)\b|(\d+)\s*号店",
                   _number_token, value)
    return re.sub(r"\s+", " ", re.sub(r"[^\w#]+", " ", value)).strip()


def _number_token(match: re.Match[str]) -> str:
    return f" #{match.group(1) or match.group(2)} "


_PLAIN_ALIASES = sorted(((_plain(k), _plain(v)) for k, v in ALIASES.items()),
                        key=lambda pair: len(pair[0]), reverse=True)


def _features(normalised: str) -> set[str]:
    """Chinese character pairs (a lone character itself), Latin words, ``#n`` tokens."""
    features: set[str] = set()
    for run in re.findall(r"[\u3400-\u9fff]+", normalised):
        features.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    features.update(word for word in re.findall(r"#\d+|[a-z0-9]+", normalised))
    return features


def _word_in(word: str, words: set[str]) -> bool:
    if word in words:
        return True
    if len(word) < 5 or word.startswith("#") or word.isdigit():
        return False
    return any(abs(len(other) - len(word)) <= 2
               and SequenceMatcher(None, word, other).ratio() >= 0.8 for other in words)


def match_customer(normalised: str, customers: Sequence[Customer]) -> CustomerMatch | None:
    """The customer whose name the (normalised) note says best, or None below
    :data:`MATCH_THRESHOLD`."""
    named = {c.id: _features(normalise_text(c.name)) for c in customers}
    frequency: dict[str, int] = {}
    for features in named.values():
        for feature in features:
            frequency[feature] = frequency.get(feature, 0) + 1
    note = _features(normalised)
    note_words = {f for f in note if not _is_cjk(f[0])}
    best: tuple[float, Customer] | None = None
    for customer in customers:
        features = named[customer.id]
        total = sum(1 / frequency[f] for f in features)
        if not total:
            continue
        hit = sum(1 / frequency[f] for f in features
                  if (f in note if _is_cjk(f[0]) else _word_in(f, note_words)))
        distinctive = any(frequency[f] == 1 and (f in note if _is_cjk(f[0])
                                                 else _word_in(f, note_words))
                          for f in features)
        score = hit / total
        if distinctive and score >= MATCH_THRESHOLD and (best is None or score > best[0]):
            best = (score, customer)
    if best is None:
        return None
    return CustomerMatch(id=best[1].id, name=best[1].name, confidence=min(1.0, best[0]))


def find_department(text: str, customer: CustomerMatch | None,
                    customers: Sequence[Customer]) -> str | None:
    """A department the note names (放射科, radiology), else the one in the customer's
    name, else None."""
    for source in (text, customer.name if customer is not None else ""):
        for name in _ZH_DEPARTMENTS:
            if name in source:
                return name
        found = re.search(rf"\b({'|'.join(_EN_DEPARTMENTS)})\b(?:\s+(?:department|dept|unit))?",
                          source, re.IGNORECASE)
        if found:
            return found.group(0)
        found = re.search(r"\b([A-Za-z]+)\s+(?:department|dept|ward|unit)\b", source,
                          re.IGNORECASE)
        if found:
            return found.group(0)
    return None


# --- contacts ------------------------------------------------------------------------------

def _surname(name: str) -> tuple[str, str]:
    """(surname as written, its Latin form) of a contact's name."""
    if _is_cjk(name[0]):
        head = next((s for s in _COMPOUND_SURNAMES if name.startswith(s)), name[0])
        return head, PINYIN.get(head, "")
    last = name.split()[-1].casefold()
    return last, last


def match_contact(text: str, contacts: Sequence[Contact]) -> ContactMatch | None:
    """The contact the note names (full name, else surname + title), or None when none is
    said or the surname is ambiguous."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    full = [c for c in contacts if c.name.casefold() in folded
            or (not _is_cjk(c.name[0]) and len(c.name.split()) > 1
                and " ".join(reversed(c.name.split())).casefold() in folded)]
    if len(full) == 1:
        return _contact_match(full[0])
    candidates: list[tuple[Contact, DecisionRole | None]] = []
    for contact in contacts:
        head, latin = _surname(contact.name)
        for title, role in _ZH_TITLES.items():
            if head + title in folded or (not _is_cjk(head[0]) and
                                          f"{head}{title}" in folded.replace(" ", "")):
                candidates.append((contact, role))
                break
        else:
            if latin:
                titles = "|".join(_EN_TITLES)
                found = re.search(rf"\b({titles})\.?\s+{re.escape(latin)}\b", folded)
                if found:
                    candidates.append((contact, _EN_TITLES[found.group(1)]))
    unique = {c.id: (c, role) for c, role in candidates}
    if len(unique) == 1:
        return _contact_match(next(iter(unique.values()))[0])
    by_role = [c for c, role in unique.values() if role is not None and c.role == role]
    return _contact_match(by_role[0]) if len(by_role) == 1 else None


def _contact_match(contact: Contact) -> ContactMatch:
    return ContactMatch(id=contact.id, name=contact.name, role=contact.role)


# --- due dates -----------------------------------------------------------------------------

_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "日": 7, "天": 7}
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
               "six": 6, "seven": 7, "couple of": 2, "few": 3}
_EN_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_MONTHS = {m.casefold(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.casefold(): i for i, m in enumerate(calendar.month_abbr) if m} | {"sept": 9}

_EN_DAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?"
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME_ZH = re.compile(r"^\s*(之前|以前|前)?\s*(上午|早上|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：]\s*"
                      r"(\d{2})|点\s*(半|\d{1,2}分?)?)")
_TIME_EN = re.compile(r"^\s*(?:,\s*)?(?:at|by|before|around)?\s*(\d{1,2})(?::(\d{2}))?\s*"
                      r"(am|pm|a\.m\.|p\.m\.)?(?![\d/])", re.IGNORECASE)


def _weekday_zh(value: str) -> int:
    return (_ZH_DIGITS.get(value) or int(value)) - 1


def _in_week(today: date, weeks_ahead: int, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _this_week(today: date, weekday: int) -> date:
    day = _in_week(today, 0, weekday)
    return day if day >= today else day + timedelta(weeks=1)


def _month_day(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None  # pragma: no cover - next year's is always ahead


def _month_end(today: date, months_ahead: int = 0) -> date:
    year, month = divmod(today.month - 1 + months_ahead, 12)
    return date(today.year + year, month + 1,
                calendar.monthrange(today.year + year, month + 1)[1])


def _early_next_month(today: date) -> date:
    year, month = divmod(today.month, 12)
    return date(today.year + year, month + 1, 5)


def _count(value: str) -> int:
    value = value.casefold().strip()
    if value.isdigit():
        return int(value)
    return _ZH_DIGITS.get(value) or _EN_NUMBERS.get(value, 1)


def _day_of(m: re.Match[str], local: datetime) -> date:
    return local.date()


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], datetime], Any]], ...] = (
    # zh
    (re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
     lambda m, n: _month_day(n.date(), int(m[1]), int(m[2]))),
    (re.compile(r"(下下|下|这|本)\s*(?:个)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"),
     lambda m, n: _in_week(n.date(), {"下下": 2, "下": 1}.get(m[1], 0), _weekday_zh(m[2]))
     if m[1] in ("下", "下下") else _this_week(n.date(), _weekday_zh(m[2]))),
    (re.compile(r"(?:周|星期|礼拜)([一二三四五六日天1-7])"),
     lambda m, n: _next_weekday(n.date(), _weekday_zh(m[1]))),
    (re.compile(r"下(?:个)?(?:周|星期|礼拜)"), lambda m, n: _in_week(n.date(), 1, 4)),
    (re.compile(r"(?:这|本)(?:个)?(?:周|星期|礼拜)(?:内|末|之内)?"),
     lambda m, n: _this_week(n.date(), 4)),
    (re.compile(r"下(?:个)?月(?:初|上旬)"), lambda m, n: _early_next_month(n.date())),
    (re.compile(r"下(?:个)?月底"), lambda m, n: _month_end(n.date(), 1)),
    (re.compile(r"(?:这|本)?(?:个)?月底"), lambda m, n: _month_end(n.date())),
    (re.compile(r"(\d+|[一二两三四五六七八九十])\s*(天|周|个?星期)(?:以?后|之后|内|以内|之内)"),
     lambda m, n: n + timedelta(days=_count(m[1]) * (1 if m[2] == "天" else 7))),
    (re.compile(r"大后天"), lambda m, n: n.date() + timedelta(days=3)),
    (re.compile(r"后天"), lambda m, n: n.date() + timedelta(days=2)),
    (re.compile(r"明天|明日|明早"), lambda m, n: n.date() + timedelta(days=1)),
    (re.compile(r"今天|今日|今晚"), _day_of),
    (re.compile(r"(\d{1,2})\s*[日号](?!店)"),
     lambda m, n: _next_day_of_month(n.date(), int(m[1]))),
    # en
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?![a-z])", re.IGNORECASE),
     lambda m, n: _month_day(n.date(), _MONTHS[m[2].casefold()], int(m[1]))),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE),
     lambda m, n: _month_day(n.date(), _MONTHS[m[1].casefold()], int(m[2]))),
    (re.compile(rf"\b(next|this|coming)\s+{_EN_DAY}\b", re.IGNORECASE),
     lambda m, n: _in_week(n.date(), 1, _EN_DAYS[m[2].casefold()])
     if m[1].casefold() == "next" else _this_week(n.date(), _EN_DAYS[m[2].casefold()])
     if m[1].casefold() == "this" else _next_weekday(n.date(), _EN_DAYS[m[2].casefold()])),
    (re.compile(r"\b(mon|tues?|wednes|thurs?|fri|satur|sun)day\b", re.IGNORECASE),
     lambda m, n: _next_weekday(n.date(), _EN_DAYS[m[1].casefold()[:3]])),
    (re.compile(r"\b(?:in|within)\s+(\d+|an?|one|two|three|four|five|six|seven|a couple of|"
                r"a few)\s+(day|week)s?\b|\b(\d+|one|two|three|four|five|six|seven)\s+"
                r"(day|week)s?\s+from\s+now\b", re.IGNORECASE),
     lambda m, n: n + timedelta(days=_count((m[1] or m[3]).removeprefix("a ")) * (
         1 if (m[2] or m[4]).casefold() == "day" else 7))),
    (re.compile(r"\bend\s+of\s+(?:the\s+)?next\s+month\b", re.IGNORECASE),
     lambda m, n: _month_end(n.date(), 1)),
    (re.compile(r"\bend\s+of\s+(?:the\s+|this\s+)?month\b|\bmonth[- ]end\b", re.IGNORECASE),
     lambda m, n: _month_end(n.date())),
    (re.compile(r"\b(?:early|beginning\s+of|start\s+of)\s+(?:the\s+)?next\s+month\b",
                re.IGNORECASE), lambda m, n: _early_next_month(n.date())),
    (re.compile(r"\bend\s+of\s+(?:the\s+|this\s+)?week\b", re.IGNORECASE),
     lambda m, n: _this_week(n.date(), 4)),
    (re.compile(r"\bnext\s+week\b", re.IGNORECASE), lambda m, n: _in_week(n.date(), 1, 4)),
    (re.compile(r"\bday\s+after\s+tomorrow\b", re.IGNORECASE),
     lambda m, n: n.date() + timedelta(days=2)),
    (re.compile(r"\btomorrow\b", re.IGNORECASE), lambda m, n: n.date() + timedelta(days=1)),
    (re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", re.IGNORECASE),
     _day_of),
)


def _next_day_of_month(today: date, day: int) -> date | None:
    for months_ahead in (0, 1, 2):
        year, month = divmod(today.month - 1 + months_ahead, 12)
        try:
            candidate = date(today.year + year, month + 1, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    phrase: str
    when: date | datetime


def _mentions(text: str, local_now: datetime) -> list[_Mention]:
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern, resolve in _RULES:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            when = resolve(match, local_now)
            if when is None:
                continue
            taken.append(match.span())
            found.append(_Mention(match.start(), match.end(), match.group(0), when))
    return sorted(found, key=lambda m: m.start)


def _time_after(text: str, end: int) -> tuple[time, int] | None:
    tail = text[end:end + 20]
    zh = _TIME_ZH.match(tail)
    if zh:
        hour = int(zh[3])
        minute = int(zh[4]) if zh[4] else (30 if zh[5] == "半" else
                                           int(zh[5].rstrip("分")) if zh[5] else 0)
        if (zh[2] in ("下午", "晚上") and hour < 12) or (zh[2] == "中午" and hour < 6):
            hour += 12
        if hour < 24 and minute < 60 and (zh[4] or "点" in zh[0]):
            return time(hour, minute), end + zh.end()
    en = _TIME_EN.match(tail)
    if en and (en[2] or en[3]):
        hour, minute = int(en[1]), int(en[2] or 0)
        suffix = (en[3] or "").casefold().replace(".", "")
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            return time(hour, minute), end + en.end()
    return None


def _time_before(text: str, start: int) -> time | None:
    head = text[max(0, start - 12):start]
    found = re.search(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)\s*(?:on\s+)?$", head, re.IGNORECASE)
    if not found:
        return None
    hour = int(found[1]) % 12 + (12 if found[3].casefold() == "pm" else 0)
    return time(hour, int(found[2] or 0))


def _is_visit_day(text: str, mention: _Mention) -> bool:
    """A mention of the visit's own day ("今天拜访", "visited them today"), not a due date."""
    if mention.phrase.casefold() not in ("今天", "今日", "today", "this morning",
                                         "this afternoon"):
        return False
    window = text[max(0, mention.start - 25):mention.end + 12]
    return bool(_VISIT_WORDS.search(window))


def find_due(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[datetime, str] | None:
    """The note's due date (aware UTC) and the phrase it came from, or None (see the module
    docstring for what each phrase means)."""
    local_now = now.astimezone(zone)
    mentions = [m for m in _mentions(text, local_now) if not _is_visit_day(text, m)]
    if not mentions:
        return None
    mention = mentions[-1]
    phrase_end = mention.end
    said = _time_after(text, mention.end)
    at_time = said[0] if said else _time_before(text, mention.start)
    if said:
        phrase_end = said[1]
    if isinstance(mention.when, datetime):
        when = mention.when.replace(tzinfo=None)
        if at_time is not None:
            when = datetime.combine(when.date(), at_time)
    else:
        when = datetime.combine(mention.when, at_time or END_OF_DAY)
    phrase = text[mention.start:phrase_end].strip()
    return when.replace(tzinfo=zone).astimezone(now.tzinfo), phrase


# --- clauses -------------------------------------------------------------------------------

def _clause_index(clauses: Sequence[str], phrase: str) -> int:
    for index, clause in enumerate(clauses):
        if phrase in clause or clause in phrase:
            return index
    head = phrase[:4]
    return next((i for i, c in enumerate(clauses) if head in c), len(clauses) - 1)


def _conclusion(clauses: Sequence[str], action_index: int) -> str | None:
    for clause in clauses:
        if _AGREE.search(clause) and clause != clauses[action_index]:
            return clause
    earlier = [c for c in clauses[:action_index]]
    if len(earlier) > 1:
        return earlier[-1]
    return next((c for c in clauses if _AGREE.search(c)), None)


def _is_cjk(character: str) -> bool:
    return "\u3400" <= character <= "\u9fff"

