"""application.visit_note_draft over a corpus of hand-written notes, both languages.

Each row: the note, the customer id, contact id and local due time it names (None: it names
none). The corpus test asserts each field is right in at least 90 % of the rows and prints
the rates (the README quotes them); the known misses are listed in KNOWN_MISSES.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from application.visit_note_draft import (
    detect_language,
    draft_from_text,
    find_due,
    normalise_text,
)
from tests.builders import make_contact, make_customer
from visitproof.errors import InvalidValue
from visitproof.records import Contact, Customer

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 3, 17, 30, tzinfo=ZONE).astimezone(UTC)  # a Tuesday, 17:30 local


def _customer(customer_id: str, name: str, type: str) -> Customer:
    return replace(make_customer(customer_id, type=type), name=name)


def _contact(contact_id: str, customer: str, name: str, role: str) -> Contact:
    return replace(make_contact(contact_id, customer=customer, role=role), name=name)


CUSTOMERS = [
    _customer("zj1", "浙江大学医学院附属第一医院放射科", "hospital_department"),
    _customer("zj2", "浙江大学医学院附属第二医院心内科", "hospital_department"),
    _customer("sy", "浙江大学医学院附属邵逸夫医院检验科", "hospital_department"),
    _customer("sr", "浙江省人民医院影像科", "hospital_department"),
    _customer("hz1", "杭州市第一人民医院骨科", "hospital_department"),
    _customer("hl4", "华联超市#4", "supermarket"),
    _customer("hl7", "华联超市#7", "supermarket"),
    _customer("cc", "联华便利店(武林店)", "convenience_store"),
    _customer("wm", "Walmart Binjiang", "hypermarket"),
    _customer("pm", "Guardian Pharmacy Xihu", "pharmacy"),
]
CONTACTS = [
    _contact("k1", "zj1", "李建国", "department_head"),
    _contact("k2", "zj1", "王海", "equipment_head"),
    _contact("k3", "zj1", "陈晓燕", "head_nurse"),
    _contact("k4", "zj2", "张伟", "department_head"),
    _contact("k5", "zj2", "李娜", "purchasing_officer"),
    _contact("k6", "sy", "刘洋", "department_head"),
    _contact("k7", "sr", "赵磊", "it_engineer"),
    _contact("k8", "sr", "赵敏", "department_head"),
    _contact("k13", "hz1", "孙立", "department_head"),
    _contact("k9", "hl4", "王芳", "store_manager"),
    _contact("k10", "hl7", "周杰", "store_manager"),
    _contact("k15", "cc", "张强", "owner"),
    _contact("k11", "wm", "David Miller", "category_manager"),
    _contact("k12", "wm", "Sarah Chen", "purchasing_officer"),
    _contact("k14", "pm", "Linda Xu", "pharmacist"),
]

# (note, customer id, contact id, due "YYYY-MM-DD HH:MM" local or None)
CORPUS: list[tuple[str, str | None, str | None, str | None]] = [
    # --- Chinese -----------------------------------------------------------------------
    ("今天拜访浙一医院放射科李主任，聊了DSA维保续签，他同意对比报价，下周三前给反馈",
     "zj1", "k1", "2026-11-11 18:00"),
    ("拜访浙二心内科张伟主任，同意下个月试用新导管，明天下午3点发报价单给他",
     "zj2", "k4", "2026-11-04 15:00"),
    ("邵逸夫检验科刘主任说试剂用量增加，答应本周五前确认订单", "sy", "k6", "2026-11-06 18:00"),
    ("省人民医院影像科赵工反馈PACS接口有问题，后天上门调试", "sr", "k7", "2026-11-05 18:00"),
    ("省人民影像科赵主任同意把CT维保合同续签一年，3月10日10:00送合同草案",
     "sr", "k8", "2027-03-10 10:00"),
    ("华联超市4号店王店长同意把新品放到黄金位置，下周一上午10点复查陈列",
     "hl4", "k9", "2026-11-09 10:00"),
    ("去了华联7号店，周店长说端架下周可以给我们，下周二前把陈列方案发给周店长",
     "hl7", "k10", "2026-11-10 18:00"),
    ("浙一放射科王科长说设备预算还没批，月底前再跟进", "zj1", "k2", "2026-11-30 18:00"),
    ("浙一放射科护士长陈晓燕反馈耗材不够，两天后补货", "zj1", "k3", "2026-11-05 17:30"),
    ("拜访浙二心内科，李娜负责采购，她同意先走招标流程，12月1日前提交资料",
     "zj2", "k5", "2026-12-01 18:00"),
    ("邵逸夫医院检验科刘洋主任不在，明天再去", "sy", "k6", "2026-11-04 18:00"),
    ("市一医院骨科孙主任对新钢板很感兴趣，下个月初安排样品演示", "hz1", "k13", "2026-12-05 18:00"),
    ("今天拜访杭州市第一人民医院骨科，和孙立聊了集采价格，他同意考虑，15号前回复",
     "hz1", "k13", "2026-11-15 18:00"),
    ("联华便利店武林店张老板答应进货，周四送货", "cc", "k15", "2026-11-05 18:00"),
    ("浙一放射科李主任同意对比报价", "zj1", "k1", None),
    ("逛了沃尔玛滨江店，陈列没问题", "wm", None, None),
    ("浙二心内科张主任答应下下周三前给试用反馈", "zj2", "k4", "2026-11-18 18:00"),
    ("省人民医院影象科赵敏主任同意试用，这周五前签试用协议", "sr", "k8", "2026-11-06 18:00"),
    ("邵逸夫检验科，刘主任答应11月20日上午9点来参加学术会", "sy", "k6", "2026-11-20 09:00"),
    ("浙一医院放射科，新设备安装完成，下周五前验收", "zj1", None, "2026-11-13 18:00"),
    ("华联超市＃４，王经理说端架促销结束，星期三再来补货", "hl4", "k9", "2026-11-04 18:00"),
    ("今天去联华便利店武林店，张强同意上架新品，明早9点送货", "cc", "k15", "2026-11-04 09:00"),
    ("浙一放射科李主任说下周要出差，两周内给答复", "zj1", "k1", "2026-11-17 17:30"),
    # --- English -----------------------------------------------------------------------
    ("Visited Walmart Binjiang today, met David Miller, he agreed to a second facing for the "
     "new SKU, send him the planogram by Friday", "wm", "k11", "2026-11-06 18:00"),
    ("Walmart Binjiang: Sarah Chen confirmed the trial order. Follow up next Wednesday.",
     "wm", "k12", "2026-11-11 18:00"),
    ("Guardian Pharmacy Xihu - Linda Xu agreed to move our vitamins to eye level, check again "
     "in two days", "pm", "k14", "2026-11-05 17:30"),
    ("Met Dr Li at ZJU First Hospital radiology, he will compare quotes, reply by next "
     "Wednesday", "zj1", "k1", "2026-11-11 18:00"),
    ("Zhejiang No. 1 radiology: Director Li agreed to renew DSA maintenance, send draft "
     "contract March 10 10:00", "zj1", "k1", "2027-03-10 10:00"),
    ("Hualian #4, Ms Wang agreed to the end-cap display, recheck tomorrow 10am",
     "hl4", "k9", "2026-11-04 10:00"),
    ("Hualian store 7: Mr Zhou wants a better margin, call him this Friday",
     "hl7", "k10", "2026-11-06 18:00"),
    ("Walmart Binjang, Mr Miller agreed to stock 3 more SKUs, deliver in 3 days",
     "wm", "k11", "2026-11-06 17:30"),
    ("Guardian pharmacy xihu, no decision yet, follow up end of month",
     "pm", None, "2026-11-30 18:00"),
    ("Visited Lianhua Convenience Wulin, owner Mr Zhang agreed to list the new drink, deliver "
     "on Thursday", "cc", "k15", "2026-11-05 18:00"),
    ("Provincial People's Hospital imaging, Engineer Zhao says the PACS link is down, on-site "
     "fix the day after tomorrow", "sr", "k7", "2026-11-05 18:00"),
    ("Zhejiang Provincial People's Hospital imaging, Director Zhao signed off the CT service "
     "renewal, send the contract 10 March 10:00", "sr", "k8", "2027-03-10 10:00"),
    ("Sir Run Run Shaw hospital lab: Dr Liu agreed to a reagent trial, next step on November "
     "20th at 9am", "sy", "k6", "2026-11-20 09:00"),
    ("ZJU Second Hospital cardiology, Dr Zhang agreed to trial the new catheter, send quote "
     "tomorrow at 3 pm", "zj2", "k4", "2026-11-04 15:00"),
    ("Second Affiliated Hospital cardiology: purchasing officer Ms Li asked for documents, "
     "submit before December 1", "zj2", "k5", "2026-12-01 18:00"),
    ("Hangzhou First People's Hospital orthopaedics, Dr Sun interested in the new plates, demo "
     "early next month", "hz1", "k13", "2026-12-05 18:00"),
    ("Walmart Binjiang, shelf looks fine, nothing agreed", "wm", None, None),
    ("Guardian Xihu: Linda Xu will reorder, call her next Monday at 10:30",
     "pm", "k14", "2026-11-09 10:30"),
    ("Hualian supermarket #7 - talked to the store manager, promo ends, revisit in a week",
     "hl7", None, "2026-11-10 17:30"),
    ("Zhejiang No.1 Hospital radiology, head nurse Chen says consumables are short, restock "
     "by this Thursday", "zj1", "k3", "2026-11-05 18:00"),
    ("Met Mr Wang the equipment head at Zhejiang No 1 radiology, budget not approved yet, "
     "follow up end of the month", "zj1", "k2", "2026-11-30 18:00"),
    ("ZJU first hospital radiology - Dr Li agreed to compare quotes, will reply within two "
     "days", "zj1", "k1", "2026-11-05 17:30"),
    ("Walmart binjiang; Sarah Chen ok with the promo; send the contract Nov 20",
     "wm", "k12", "2026-11-20 18:00"),
]

# Written afterwards by someone who had not read the parser, and never tuned against: a
# check that the rates above are not an artefact of writing the corpus with the parser.
HELD_OUT: list[tuple[str, str | None, str | None, str | None]] = [
    ("上午去了浙二医院心内科，见了张伟主任，对方愿意试用我们的球囊，周五之前把样品送过去",
     "zj2", "k4", "2026-11-06 18:00"),
    ("华联超市七号店周店长：本周陈列OK，下周一再来看看", "hl7", "k10", "2026-11-09 18:00"),
    ("省人民医院影像科赵敏，同意参加下周四的产品会", "sr", "k8", "2026-11-12 18:00"),
    ("拜访邵逸夫医院检验科，刘洋说库存还够，12月3日再联系", "sy", "k6", "2026-12-03 18:00"),
    ("浙一放射科，跟王海谈了新CT的预算，明天上午10点电话沟通", "zj1", "k2", "2026-11-04 10:00"),
    ("联华便利店武林店，老板张强说冰柜坏了，后天派人去修", "cc", "k15", "2026-11-05 18:00"),
    ("杭州市一医院骨科孙立主任，对价格有异议，下周三之前重新报价", "hz1", "k13",
     "2026-11-11 18:00"),
    ("华联4号店，王芳店长要求增加堆头，11月8日前答复", "hl4", "k9", "2026-11-08 18:00"),
    ("浙一医院放射科护士长陈晓燕，说下个月要换供应商，月底前去拜访采购", "zj1", "k3",
     "2026-11-30 18:00"),
    ("沃尔玛滨江店，David Miller 不在，明天再来", "wm", "k11", "2026-11-04 18:00"),
    ("Stopped by Guardian Pharmacy Xihu, Linda Xu wants posters for the vitamin promo, bring "
     "them on Friday", "pm", "k14", "2026-11-06 18:00"),
    ("Walmart Binjiang - Sarah Chen needs the revised price list by tomorrow 5pm",
     "wm", "k12", "2026-11-04 17:00"),
    ("ZJU Second Hospital cardiology: Ms Li from purchasing says the tender opens next month, "
     "send docs next Tuesday", "zj2", "k5", "2026-11-10 18:00"),
    ("Shaw hospital lab, met Dr Liu, agreed to a pilot, schedule training for Nov 25",
     "sy", "k6", "2026-11-25 18:00"),
    ("Hualian #7, Mr Zhou agreed on the end cap, install it the day after tomorrow",
     "hl7", "k10", "2026-11-05 18:00"),
    ("Provincial People's Hospital imaging dept: Director Zhao wants a demo, next Thursday at "
     "2 pm", "sr", "k8", "2026-11-12 14:00"),
    ("Lianhua convenience store Wulin: Mr Zhang says sales are slow, follow up in 3 days",
     "cc", "k15", "2026-11-06 17:30"),
    ("Hangzhou First People's Hospital orthopaedics, Dr Sun not available, try again tomorrow",
     "hz1", "k13", "2026-11-04 18:00"),
    ("Zhejiang No. 1 Hospital radiology - equipment head Wang Hai approved the budget, sign "
     "the contract on December 2 at 11:00", "zj1", "k2", "2026-12-02 11:00"),
    ("Hualian supermarket #4, store manager Wang says the display is fine, no follow-up "
     "needed", "hl4", "k9", None),
]

KNOWN_MISSES: set[tuple[int, str]] = set()
"""(row, field) pairs this parser gets wrong today; allowed only within the 10 %."""


def _local(value: str | None) -> datetime | None:
    return None if value is None else datetime.strptime(value, "%Y-%m-%d %H:%M").replace(
        tzinfo=ZONE)


def _draft(note: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return draft_from_text(note, language=None, customers=CUSTOMERS, contacts=CONTACTS,
                           now=now, zone=ZONE)


def test_the_corpus_has_enough_notes_in_both_languages() -> None:
    languages = [detect_language(note) for note, *_ in CORPUS]
    assert languages.count("zh") >= 20
    assert languages.count("en") >= 20


def _misses(corpus: list[tuple[str, str | None, str | None, str | None]]
            ) -> dict[str, list[int]]:
    """Per field, the rows of ``corpus`` whose draft gets it wrong (printed as they go)."""
    wrong: dict[str, list[int]] = {"customer": [], "contact": [], "due_at": []}
    for row, (note, customer, contact, due) in enumerate(corpus):
        draft = _draft(note)
        got_customer = None if draft.customer is None else draft.customer.id
        got_contact = None if draft.contact is None else draft.contact.id
        got_due = None if draft.next_action is None else draft.next_action.due_at
        for name, ok in (("customer", got_customer == customer),
                         ("contact", got_contact == contact), ("due_at", got_due == _local(due))):
            if not ok:
                wrong[name].append(row)
                print(f"miss {name} row {row}: {note!r} -> customer {got_customer}, "
                      f"contact {got_contact}, due {got_due}")
    return wrong


@pytest.mark.parametrize("name", ["corpus", "held-out"])
def test_every_field_is_right_in_at_least_90_percent_of_the_notes(name: str) -> None:
    corpus = CORPUS if name == "corpus" else HELD_OUT
    wrong = _misses(corpus)
    rates = {field: 1 - len(rows) / len(corpus) for field, rows in wrong.items()}
    print(f"visit-note {name} ({len(corpus)} notes): " + ", ".join(
        f"{field} {rate:.1%}" for field, rate in rates.items()))
    assert all(rate >= 0.9 for rate in rates.values()), rates
    if name == "corpus":
        unexpected = {(row, field) for field, rows in wrong.items() for row in rows} \
            - KNOWN_MISSES
        assert not unexpected, sorted(unexpected)


def test_the_issue_example_gives_the_whole_draft() -> None:
    draft = _draft("今天拜访浙一医院放射科李主任，聊了DSA维保续签，他同意对比报价，下周三前给反馈")
    assert draft.language == "zh"
    assert draft.customer is not None
    assert draft.customer.id == "zj1"
    assert draft.department == "放射科"
    assert draft.contact is not None
    assert draft.contact.role == "department_head"
    assert draft.conclusion == "他同意对比报价"
    assert draft.next_action is not None
    assert draft.next_action.text == "下周三前给反馈"
    assert draft.next_action.due_at == _local("2026-11-11 18:00")
    assert draft.unresolved == ()


@pytest.mark.parametrize(("note", "unresolved"), [
    ("聊了一下，没什么进展", ("customer", "contact", "due_at")),
    ("Walmart Binjiang, shelf looks fine", ("contact", "due_at")),
])
def test_what_the_note_does_not_say_is_listed_as_unresolved(note: str,
                                                            unresolved: tuple[str, ...]) -> None:
    assert _draft(note).unresolved == unresolved


@pytest.mark.parametrize(("phrase", "now_local", "due_local"), [
    ("下周三前", "2026-11-08 20:00", "2026-11-11 18:00"),  # on a Sunday: the coming week's
    ("周一", "2026-11-09 08:00", "2026-11-09 18:00"),  # today counts
    ("this Friday", "2026-11-07 09:00", "2026-11-13 18:00"),  # Saturday: next week's
    ("12月31日", "2026-12-31 23:00", "2026-12-31 18:00"),
    ("1月2日", "2026-12-31 09:00", "2027-01-02 18:00"),  # past this year: next year's
    ("月底", "2026-02-10 09:00", "2026-02-28 18:00"),
    ("end of next month", "2026-12-15 09:00", "2027-01-31 18:00"),
    ("明天晚上8点半", "2026-11-03 09:00", "2026-11-04 20:30"),
    ("10 March 10:00", "2026-11-03 09:00", "2027-03-10 10:00"),
    ("3pm tomorrow", "2026-11-03 09:00", "2026-11-04 15:00"),
])
def test_due_phrases_resolve_in_the_tenant_zone(phrase: str, now_local: str,
                                                due_local: str) -> None:
    now = _local(now_local)
    assert now is not None
    found = find_due(phrase, now=now.astimezone(UTC), zone=ZONE)
    assert found is not None
    assert found[0] == _local(due_local)
    assert found[0].tzinfo is UTC


def test_the_same_phrase_means_another_instant_in_another_zone() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    found = find_due("tomorrow", now=datetime(2026, 11, 3, 12, tzinfo=UTC), zone=madrid)
    assert found is not None
    assert found[0] == datetime(2026, 11, 4, 18, tzinfo=madrid)


@pytest.mark.parametrize(("text", "expected"), [
    ("华联超市＃４", "华联超市 #4"),
    ("ＨＵＡＬＩＡＮ No. 4", "华联 #4"),
    ("浙一医院", "浙江大学医学院附属第一医院 医院"),
])
def test_names_are_normalised(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidValue) as raised:
        _draft("浙一放射科", now=datetime(2026, 11, 3, 9))
    assert raised.value.code == "NAIVE_TIMESTAMP"


def test_only_the_reps_customers_are_candidates() -> None:
    draft = draft_from_text("浙一放射科李主任同意", language="zh", customers=CUSTOMERS[1:],
                            contacts=CONTACTS, now=NOW, zone=ZONE)
    assert draft.customer is None or draft.customer.id != "zj1"


def test_the_draft_as_json_is_plain_data() -> None:
    data = _draft("Walmart Binjiang: Sarah Chen confirmed the trial order. Follow up next "
                  "Wednesday.").to_json()
    assert data["customer"]["id"] == "wm"
    assert data["contact"] == {"id": "k12", "name": "Sarah Chen", "role": "purchasing_officer"}
    assert data["next_action"]["due_at"] == "2026-11-11T10:00:00+00:00"
