"""Messages in the caller's language (:mod:`serving.messages`): ``Accept-Language`` picks
English or zh-CN, every error and reason code has a zh text, a translated answer keeps
its codes and its specifics, and the manager pages stay English."""

from __future__ import annotations

import json
import re
from html import escape
from string import Formatter
from typing import Any

import pytest

from serving.messages import (
    ZH_ERRORS,
    ZH_REASONS,
    Language,
    error_message,
    negotiate,
    reason_message,
    speaking,
    template_fields,
)
from serving.routes.pages import COOKIE
from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta
from tests.serving.test_retake import spoiled
from visitproof.error_codes import ErrorCode
from visitproof.reasons import REASONS, ReasonCode

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.mark.parametrize(("header", "language"), [
    (None, Language.EN),
    ("", Language.EN),
    ("zh-CN", Language.ZH_CN),
    ("zh", Language.ZH_CN),
    ("zh-Hans", Language.ZH_CN),
    ("zh-Hans-CN", Language.ZH_CN),
    ("ZH-cn", Language.ZH_CN),
    ("en", Language.EN),
    ("en-GB", Language.EN),
    ("*", Language.EN),
    ("fr-FR", Language.EN),  # nothing known: the default
    ("fr-FR, zh;q=0.5", Language.ZH_CN),
    ("en;q=0.4, zh-CN;q=0.9", Language.ZH_CN),
    ("zh-CN;q=0.9, en", Language.EN),  # q defaults to 1
    ("zh, en", Language.ZH_CN),  # a tie: the first listed
    ("en, zh", Language.EN),
    ("zh;q=0, en;q=0.1", Language.EN),  # q=0 refuses
    ("zh;q=0", Language.EN),
    ("zh;q=1.5, en;q=0.2", Language.EN),  # a q above 1 is malformed: refused
    ("zh;q=abc", Language.EN),
    ("zh;level=1;q=0.8, en;q=0.5", Language.ZH_CN),  # other parameters are ignored
    (";;;,,", Language.EN),
])
def test_accept_language_picks_the_language(header: str | None, language: Language) -> None:
    assert negotiate(header) is language


def test_every_error_code_has_a_chinese_text() -> None:
    assert set(ZH_ERRORS) == set(ErrorCode)
    missing = [code.value for code, text in ZH_ERRORS.items() if not CHINESE.search(text)]
    assert missing == []


def test_every_reason_code_has_a_chinese_template_with_its_fields() -> None:
    assert set(ZH_REASONS) == set(ReasonCode)
    for code, template in ZH_REASONS.items():
        assert CHINESE.search(template), code
        assert template_fields(template) <= template_fields(REASONS[code].template), code


def sample(template: str) -> dict[str, Any]:
    """Values for ``template``'s fields: numbers where it formats one, else words that
    :mod:`serving.messages` knows (a direction, an evidence) or an unmistakable text."""
    known = {"direction": "ahead of", "evidence": "the commitment needs a contract number"}
    values: dict[str, Any] = {}
    for _, name, spec, _ in Formatter().parse(template):
        if name:
            values[name] = 0.4 if spec else known.get(name, f"<{name}-42>")
    return values


@pytest.mark.parametrize("code", list(ReasonCode))
def test_each_reason_message_reads_back_into_chinese(code: ReasonCode) -> None:
    template = REASONS[code].template
    values = sample(template)
    english = template.format(**values)
    with speaking(Language.ZH_CN):
        chinese = reason_message(code.value, english)
    assert CHINESE.search(chinese), chinese
    assert "{" not in chinese
    for name in template_fields(ZH_REASONS[code]):
        if isinstance(values[name], str) and values[name].startswith("<"):
            assert values[name] in chinese, (name, chinese)
    with speaking(Language.EN):
        assert reason_message(code.value, english) == english


def test_words_inside_a_reason_are_translated_and_numbers_kept() -> None:
    english = REASONS[ReasonCode.DEVICE_CLOCK_SKEW].template.format(
        skew="7 min", direction="behind", tolerance="2 min")
    with speaking(Language.ZH_CN):
        assert reason_message("DEVICE_CLOCK_SKEW", english) == \
            "手机时钟比服务器时钟慢 7 min，容许 2 min"


def test_a_message_of_an_older_wording_or_an_unknown_code_stays_english() -> None:
    with speaking(Language.ZH_CN):
        assert reason_message("PHOTO_BLURRY", "blurred, retake") == "blurred, retake"
        assert reason_message("NOT_A_REASON", "something") == "something"
        assert error_message("NOT_A_CODE", "something", "x") == "something"


def test_an_error_keeps_its_specifics_after_the_chinese_text() -> None:
    with speaking(Language.ZH_CN):
        assert error_message("LAT_OUT_OF_RANGE", "must be within ±90, got 91", "meta.fix.lat") \
            == "meta.fix.lat：纬度必须在 -90 到 90 之间（must be within ±90, got 91）"
        assert error_message("STORE_UNAVAILABLE", "the store is busy or unavailable") == \
            "数据存储繁忙或不可用，请稍后重试"


# -- through the API ---------------------------------------------------------------------


def test_an_error_answers_in_chinese_with_the_same_code(api: Api) -> None:
    english = api.client.get("/v1/checkins?bogus=1", headers=api.auth("rep"))
    chinese = api.client.get("/v1/checkins?bogus=1", headers={**api.auth("rep"), **ZH})
    assert english.status_code == chinese.status_code == 422
    assert english.json()["code"] == chinese.json()["code"] == "UNKNOWN_FIELD"
    assert english.headers["content-language"] == "en"
    assert chinese.headers["content-language"] == "zh-CN"
    assert "accept-language" in chinese.headers["vary"].lower()
    assert not CHINESE.search(english.json()["message"])
    message = chinese.json()["message"]
    assert message.startswith("bogus：未知字段或查询参数（"), message
    assert english.json()["message"] in message


def test_validation_details_are_translated_too(api: Api) -> None:
    meta = make_upload_meta()
    meta["fix"]["lat"] = "north"  # type: ignore[index]
    answer = api.client.post("/v1/checkins", data={"meta": json.dumps(meta)},
                             files={"photo": ("shelf.jpg", shelf_photo(2), "image/jpeg")},
                             headers={**api.auth("rep"), **ZH})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "BAD_TYPE"
    assert body["field"] == "meta.fix.lat"
    assert body["message"].startswith("meta.fix.lat：取值类型错误（")
    assert all(CHINESE.search(detail["message"]) for detail in body["details"])


def test_an_unauthenticated_answer_is_translated(api: Api) -> None:
    answer = api.client.get("/v1/checkins", headers={"Accept-Language": "zh"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHENTICATED"
    assert answer.json()["message"].startswith("缺少有效的访问令牌")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_verdict_answers_in_chinese_with_the_same_codes_and_shape(api: Api) -> None:
    # 3 km from the store, blurred: reasons from the fix check and from the shelf check
    posted = api.upload(make_upload_meta(north_m=3000), spoiled(5, "blurred"))
    assert posted.status_code == 201, posted.text
    path = f"/v1/checkins/{posted.json()['checkin_id']}"
    english = api.client.get(path, headers=api.auth("rep"))
    chinese = api.client.get(path, headers={**api.auth("rep"), **ZH})
    assert chinese.headers["content-language"] == "zh-CN"
    en, zh = english.json()["verdict"], chinese.json()["verdict"]
    assert en["shelf"]["reasons"], en
    assert en["fix"]["reasons"], en

    def codes(verdict: dict[str, Any]) -> list[list[str]]:
        return [[r["code"] for r in verdict["reasons"]],
                [r["code"] for r in verdict["shelf"]["reasons"]],
                [r["code"] for r in verdict["fix"]["reasons"]]]

    assert codes(en) == codes(zh)
    assert list(en["shelf"]) == list(zh["shelf"])  # same keys, same order
    strip = {"reasons": None}
    assert {**en["shelf"], **strip} == {**zh["shelf"], **strip}
    for verdict_en, verdict_zh in ((en, zh), (en["shelf"], zh["shelf"]),
                                   (en["fix"], zh["fix"])):
        for r_en, r_zh in zip(verdict_en["reasons"], verdict_zh["reasons"], strict=True):
            assert not CHINESE.search(r_en["message"])
            assert CHINESE.search(r_zh["message"]), r_zh


def test_the_manager_pages_stay_english(api: Api) -> None:
    posted = api.upload(make_upload_meta(north_m=3000), shelf_photo(6)).json()
    api.client.get("/manager/login", params={"token": api.tokens["manager"]},
                   follow_redirects=False)
    assert api.client.cookies.get(COOKIE)
    page = api.client.get(f"/manager/checkins/{posted['checkin_id']}", headers=ZH)
    assert page.status_code == 200, page.text
    assert "content-language" not in page.headers
    assert escape(posted["reasons"][0]["message"]) in page.text
    assert not CHINESE.search(page.text)
