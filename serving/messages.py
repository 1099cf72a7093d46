"""The language of the API's messages: English, or Simplified Chinese (zh-CN) when the
request's ``Accept-Language`` prefers it.

What is translated: the ``message`` of every error body (:class:`~serving.schemas.ErrorPublic`
and its ``details``) and of every reason (:class:`~serving.schemas.ReasonPublic`, the
shelf's and the fix's reasons included), when an answer is written as JSON. What is not:
codes (stable, never translated: switch on them), field paths, ids, numbers and units, the
manager pages (HTML, English), and refusals written before the app sees the request (the
rate limit, the upload limit, slow clients: :mod:`serving.app` adds them outside this
module's middleware).

- An error's zh message is the code's meaning from :data:`ZH_ERRORS`, after the field path
  when there is one, with the English message after it in brackets: the English names the
  specifics (a limit, an id, the value sent) that a template per code can't.
- A reason's zh message fills the code's template of :data:`ZH_REASONS` with the values
  read back out of the English message (it was rendered from
  :data:`visitproof.reasons.REASONS`' template); a message stored under an older wording,
  which the template no longer matches, stays English.

The chosen language is per request (:class:`MessageLanguage` sets it, answers say it in
``Content-Language`` with ``Vary: Accept-Language``); the models keep the English text and
translate only when serialised to JSON, so Python callers (the pages) always read English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from string import Formatter
from types import MappingProxyType

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from visitproof.error_codes import ErrorCode
from visitproof.reasons import REASONS, ReasonCode


class Language(StrEnum):
    """The languages of the messages; values are the ``Content-Language`` tags."""

    EN = "en"
    ZH_CN = "zh-CN"


DEFAULT_LANGUAGE = Language.EN
_LANGUAGE: ContextVar[Language] = ContextVar("visitproof_message_language",
                                             default=DEFAULT_LANGUAGE)
_Q = re.compile(r"q=([0-9](?:\.[0-9]{0,3})?)$")


def negotiate(accept_language: str | None) -> Language:
    """The language ``Accept-Language`` prefers (RFC 9110 §12.5.4): the highest q-value
    wins, the first listed on a tie; ``q=0`` refuses. ``zh`` and every ``zh-*`` tag
    (``zh-CN``, ``zh-Hans``, ``zh-TW``: the one Chinese catalogue is Simplified) pick
    zh-CN, ``en``/``en-*`` and ``*`` English; no header, nothing known or a malformed
    header: English."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, *parameters = (part.strip() for part in item.split(";"))
        q = 1.0
        for parameter in parameters:
            compact = parameter.replace(" ", "").lower()
            if compact.startswith("q="):
                match = _Q.match(compact)
                q = float(match.group(1)) if match and float(match.group(1)) <= 1 else 0.0
        language = _language_of(tag.lower())
        if language is not None and q > best_q:  # strictly: the first listed wins a tie
            best, best_q = language, q
    return best if best_q > 0 else DEFAULT_LANGUAGE


def _language_of(tag: str) -> Language | None:
    if tag == "zh" or tag.startswith("zh-"):
        return Language.ZH_CN
    if tag in ("en", "*") or tag.startswith("en-"):
        return Language.EN
    return None


def current_language() -> Language:
    """The language of the request being answered (English outside one)."""
    return _LANGUAGE.get()


@contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Messages serialised inside the block are in ``language``."""
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


class MessageLanguage:
    """ASGI middleware: negotiates each HTTP request's language for the messages of its
    answer and labels JSON answers with ``Content-Language`` and ``Vary:
    Accept-Language`` (HTML pages are English and get neither)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((value.decode("latin-1") for name, value in scope.get("headers", ())
                       if name == b"accept-language"), None)
        language = negotiate(header)

        async def labelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("application/json"):
                    headers["Content-Language"] = language.value
                    headers.add_vary_header("Accept-Language")
            await send(message)

        with speaking(language):
            await self.app(scope, receive, labelled)


# --- errors ---------------------------------------------------------------------------

#: Codes whose English message says nothing the zh text doesn't (no brackets after it).
_SELF_CONTAINED = frozenset({ErrorCode.STORE_UNAVAILABLE, ErrorCode.INTERNAL})


def error_message(code: str, english: str, field: str | None = None) -> str:
    """``english`` (an error's message) in the current language (see the module's
    docstring); an unregistered code keeps its English."""
    if current_language() is Language.EN or code not in ZH_ERRORS:
        return english
    text = ZH_ERRORS[ErrorCode(code)]
    where = f"{field}：" if field else ""
    if code in _SELF_CONTAINED or not english:
        return where + text
    return f"{where}{text}（{english}）"


E = ErrorCode

ZH_ERRORS: Mapping[ErrorCode, str] = MappingProxyType({
    E.UNAUTHENTICATED: "缺少有效的访问令牌（未提供、格式错误、未知、已过期或已吊销）",
    E.FORBIDDEN: "该令牌的角色无权执行此操作",
    E.CSRF_REJECTED: "表单缺少本次会话的表单令牌，请刷新页面后重试",
    E.INTERNAL_PORT: "此端口属于内部服务副本，不接受外部请求",
    E.UNKNOWN_TOKEN: "没有这个令牌编号",
    E.BAD_TOKEN_ID: "令牌编号必须是整数",
    E.BAD_REQUEST: "请求被拒绝",
    E.MALFORMED_REQUEST: "请求无法解析（multipart 或 JSON 格式损坏，或不是有效的 HTTP/1.1）",
    E.METHOD_NOT_ALLOWED: "此路径不支持该 HTTP 方法",
    E.PAYLOAD_TOO_LARGE: "请求体超过上传上限，请发送较小的照片",
    E.REQUEST_TIMEOUT: "请求体传输太慢，请在网络更好时重新发送",
    E.RATE_LIMITED: "请求过于频繁，请按 Retry-After 秒数后重试",
    E.SERVER_BUSY: "同时上传的大文件过多，请按 Retry-After 秒数后重试",
    E.DUPLICATE_FIELD: "表单字段重复，每个字段只能发送一次",
    E.INVALID_INPUT: "输入无法按原样接受",
    E.INVALID_VALUE: "取值无效",
    E.MISSING_FIELD: "缺少必填字段",
    E.EMPTY_FIELD: "必填文本为空",
    E.UNKNOWN_FIELD: "未知字段或查询参数",
    E.BAD_TYPE: "取值类型错误",
    E.BAD_JSON: "不是有效的 JSON",
    E.BAD_VALUE: "无法读取该取值",
    E.BAD_TEXT: "文本含有 NUL 字符",
    E.TOO_LONG: "文本超过允许的长度",
    E.OUT_OF_RANGE: "数值超出允许范围",
    E.BAD_NUMBER: "数字无效",
    E.NUMBER_NOT_FINITE: "数字必须是有限值（JSON 不允许 NaN 或无穷大）",
    E.COORDINATE_NOT_FINITE: "经纬度必须是有限数字",
    E.LAT_OUT_OF_RANGE: "纬度必须在 -90 到 90 之间",
    E.LON_OUT_OF_RANGE: "经度必须在 -180 到 180 之间",
    E.BAD_IDENTIFIER: "标识符无效",
    E.BAD_SHA256: "必须是 64 位小写十六进制字符",
    E.BAD_GEOMETRY: "几何图形无法读取或不是有效的多边形",
    E.BAD_LINK: "链接必须是本站的路径（/...）",
    E.UNKNOWN_ENUM_VALUE: "取值不在允许的列表中",
    E.STRATEGY_REQUIRED: "这条跟进已推送给你：请写一句话，说明这次跟进的核心策略",
    E.STRATEGY_NOT_ONE_SENTENCE: "核心策略只能写一句话（不换行，句中不能有句号、问号或叹号）",
    E.NAIVE_TIMESTAMP: "时间缺少 UTC 偏移（例如 2026-11-03T09:15:00+08:00）",
    E.BAD_TIMESTAMP: "时间无法读取或超出 1 至 9999 年",
    E.FUTURE_TIMESTAMP: "时间不能在将来",
    E.TIME_ORDER: "时间顺序错误：早于它必须晚于的时间",
    E.DUE_TOO_FAR: "下一步行动的截止时间离拜访太远",
    E.BAD_DATE: "日期无法读取或超出日历范围",
    E.BAD_PERIOD: "时间段无法读取或结束早于开始",
    E.PERIOD_TOO_LONG: "时间段超过报表允许的长度",
    E.MISSING_PERIOD: "需要指定时间段",
    E.BAD_TIMEZONE: "不是有效的 IANA 时区名称（例如 Asia/Shanghai）",
    E.NOT_FOUND: "没有找到该记录",
    E.UNKNOWN_CUSTOMER: "客户不存在",
    E.UNKNOWN_REP: "销售代表不存在",
    E.UNKNOWN_REGION: "没有团队属于这个区域",
    E.UNKNOWN_CHECKIN: "没有您的这次签到",
    E.REP_INACTIVE: "该销售代表已停用",
    E.REP_NOT_FOUND: "该租户中没有这个销售代表",
    E.TEAM_NOT_FOUND: "该团队中没有销售代表",
    E.TENANT_NOT_FOUND: "租户不存在",
    E.TENANT_MISMATCH: "记录属于其他租户",
    E.DUPLICATE_ID: "编号重复",
    E.CONFLICT: "输入与已保存的数据冲突",
    E.CHECKIN_ID_CONFLICT: "该签到编号已用于内容不同的签到；重试时必须发送相同内容",
    E.LEAD_ID_CONFLICT: "该线索编号已用于内容不同的线索",
    E.TOUCH_ID_CONFLICT: "该线索跟进编号已用于内容不同的跟进",
    E.CONTACT_ID_CONFLICT: "该联系人编号已属于其他客户",
    E.ACTION_ALREADY_COMPLETED: "该下一步行动已以不同方式完成",
    E.STALE_RULES_VERSION: "规则已被他人修改；请在当前版本上重新修改并提交",
    E.NOT_UNDER_REVIEW: "该签到不在待审核状态（可能已被其他审核人处理）",
    E.PHOTO_EMPTY: "照片文件为空",
    E.PHOTO_TOO_LARGE: "照片文件过大",
    E.PHOTO_TOO_MANY_PIXELS: "照片像素过多",
    E.PHOTO_UNSUPPORTED_FORMAT: "不支持的文件格式，请发送 JPEG、PNG 或 WebP 照片",
    E.PHOTO_TRUNCATED: "照片文件不完整",
    E.PHOTO_CORRUPT: "照片文件已损坏",
    E.PHOTO_TYPE_MISMATCH: "照片声明的类型与实际内容不符，请发送相机拍摄的原始 JPEG",
    E.UNKNOWN_FIXTURE_TYPE: "规则中没有该货架类型的黄金区域",
    E.UNKNOWN_EVIDENCE: "未知的证据类型",
    E.BAD_POLICY: "黄金区域策略无法使用",
    E.BAD_PHI_WEIGHTS: "PHI 权重无法使用",
    E.BAD_PHI_TARGETS: "PHI 目标值无法使用",
    E.BAD_PHI_TABLE: "PHI 输入表缺少必需的列",
    E.BAD_TABLE: "表格缺少必需的列",
    E.CRS_MISMATCH: "坐标参考系不符合要求",
    E.EMPTY_INPUT: "没有可计算的数据",
    E.BAD_REFERENCES: "产品参考图片数量不符合要求",
    E.BAD_TOP: "结果数量至少为 1",
    E.GALLERY_EMPTY: "还没有任何产品的参考照片",
    E.MODEL_MISSING: "模型文件不存在",
    E.MODEL_UNSUPPORTED: "模型文件的形状不符合要求",
    E.MODEL_UNAVAILABLE: "未加载货架检测模型",
    E.RAY_MISSING: "未安装 Ray Serve",
    E.IMPORT_REJECTED: "文件中有错误行，未导入任何内容",
    E.UNKNOWN_KIND: "未知的导入类型",
    E.MISSING_COLUMN: "文件缺少必需的列",
    E.EXTRA_FIELDS: "该行字段多于表头",
    E.EMPTY_FILE: "文件没有数据",
    E.BAD_ENCODING: "文件不是 UTF-8 文本",
    E.BAD_GEOJSON: "文件不是 GeoJSON FeatureCollection",
    E.FILE_TOO_LARGE: "文件超过导入上限",
    E.FILE_UNREADABLE: "无法读取文件",
    E.FILE_UNWRITABLE: "无法写入文件",
    E.MISSING_OUTPUT: "未指定输出",
    E.SIGNING_KEY_IN_DATA_DIR: "签名密钥路径位于其签名的数据目录内；"
                               "请将 VISITPROOF_SIGNING_KEY 设到该目录之外",
    E.VISIT_NOTE_EMPTY: "拜访笔记既没有文字也没有录音",
    E.VISIT_NOTE_BOTH: "拜访笔记同时有文字和录音，请只发送一种",
    E.VISIT_NOTE_NOT_FOUND: "没有您的这条拜访笔记",
    E.VISIT_NOTE_ALREADY_USED: "这条拜访笔记已用于另一次签到",
    E.AUDIO_EMPTY: "录音文件是空的，请重新录制",
    E.AUDIO_TOO_LARGE: "录音文件超过大小上限",
    E.AUDIO_TOO_LONG: "录音太长，请控制在 3 分钟以内",
    E.AUDIO_UNREADABLE: "无法读取录音，请发送 WAV 或 OGG 录音",
    E.AUDIO_UNSUPPORTED_FORMAT: "不支持这种录音格式，请发送 WAV 或 OGG",
    E.STORE_UNAVAILABLE: "数据存储繁忙或不可用，请稍后重试",
    E.STORE_LOCKED: "数据库被其他进程锁定",
    E.STORE_CORRUPT: "数据库文件损坏或结构未知",
    E.STORE_NOT_INITIALISED: "数据存储尚未初始化（visitproof init）",
    E.DETECTOR_UNAVAILABLE: "货架检测服务暂时无响应；未保存任何内容，请重新发送同一次上传",
    E.NOT_READY: "服务尚未就绪",
    E.INTERNAL: "内部错误，已记录日志",
    E.VISITPROOF_ERROR: "visitproof 错误",
})


# --- reasons --------------------------------------------------------------------------

# English words some reasons put in a field, and their zh.
_ZH_VALUES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "direction": {"ahead of": "快", "behind": "慢", "after": "晚", "before": "早"},
    "evidence": {
        "the commitment needs a contract number": "承诺需要填写合同编号",
        "the next action needs a contact person (contact_id)":
            "下一步行动需要指定联系人（contact_id）",
        "the next action must be a concrete step, not waiting for the customer":
            "下一步行动必须是具体步骤，而不是等待客户",
        "the upload must carry the phone's clock (device_submitted_at)":
            "上传必须包含手机时钟（device_submitted_at）",
    },
})

R = ReasonCode

ZH_REASONS: Mapping[ReasonCode, str] = MappingProxyType({
    R.PHOTO_EMPTY: "照片为空：{detail}",
    R.PHOTO_TOO_LARGE: "照片过大：{detail}",
    R.PHOTO_TOO_MANY_PIXELS: "照片过大：{detail}",
    R.PHOTO_UNSUPPORTED_FORMAT: "不支持的文件：{detail}",
    R.PHOTO_TRUNCATED: "照片不完整：{detail}",
    R.PHOTO_CORRUPT: "照片已损坏：{detail}",
    R.PHOTO_LOW_RESOLUTION: "照片分辨率太低（{width}×{height}，短边至少 {minimum} 像素）："
                            "请用相机的全分辨率重拍",
    R.PHOTO_BLURRY: "照片模糊（清晰度 {score}，至少需要 {minimum}）：请拿稳手机重拍",
    R.PHOTO_TOO_DARK: "照片太暗（平均亮度 {mean}/255）：请开灯或靠近后重拍",
    R.PHOTO_OVEREXPOSED: "照片过曝（{share} 的像素过亮）：请避开反光重拍",
    R.EXIF_UNREADABLE: "无法读取照片的元数据；仅根据像素判断",
    R.EXIF_BAD_DATETIME: "照片元数据中的拍摄时间格式错误",
    R.EXIF_BAD_GPS: "照片元数据中的 GPS 位置格式错误",
    R.EXIF_BAD_GPS_TIME: "照片元数据中的 GPS 时间格式错误",
    R.PHOTO_REUSED: "照片已于 {date} 使用过（签到 {checkin}）：请重新拍摄货架",
    R.PHOTO_NEAR_DUPLICATE: "照片与 {date} 使用过的照片几乎相同（签到 {checkin}）：请重新拍摄货架",
    R.PHOTO_RECAPTURED: "照片像是翻拍的屏幕或打印件（得分 {score}）：请直接拍摄货架",
    R.PHOTO_MAYBE_RECAPTURED: "照片可能是翻拍的屏幕或打印件（得分 {score}，元数据提示：{hints}）；"
                              "将由主管核查",
    R.PHOTO_STALE_SHELF: "货架与该门店上次通过的照片完全相同（{date}）",
    R.NO_SHELF_FOUND: "照片中未找到货架：请正面拍摄整个货架",
    R.FIXTURE_CUT_OFF: "照片中缺少货架顶部，无法从上往下数层：请后退一步，拍下整个货架",
    R.FEATURED_NOT_IN_GOLDEN_ZONE: "重点产品 {sku} 不在黄金区域（第 {zone} 层）；"
                                   "实际在第 {rows} 层",
    R.FEATURED_ABSENT: "货架上没有重点产品 {sku}",
    R.FEATURED_UNKNOWN_SKU: "重点产品 {sku} 没有参考图片；请用 `visitproof products add` 登记",
    R.FIX_COORDINATE_NOT_FINITE: "位置不是数字（{value}）",
    R.FIX_LAT_OUT_OF_RANGE: "纬度 {value} 超出 -90..90",
    R.FIX_LON_OUT_OF_RANGE: "经度 {value} 超出 -180..180",
    R.FIX_LAT_LON_SWAPPED: "纬度和经度似乎填反了：交换后距门店 {distance}",
    R.FIX_ACCURACY_INVALID: "精度 {value} m 不是大于等于 0 的距离",
    R.TIME_NAIVE: "{field} {value} 缺少 UTC 偏移",
    R.TIME_INVALID: "{field} 不是有效时间（{value}）",
    R.TIME_IMPLAUSIBLE: "{field} {value} 早于 {earliest}，手机时钟或文件有误",
    R.TIME_IN_FUTURE: "{field} 比服务器时钟快 {ahead}",
    R.GPS_OUTSIDE_GEOFENCE: "距门店 {distance}，允许 {allowed}（另加精度 {tolerance}）",
    R.FIX_ACCURACY_POOR: "GPS 精度 {accuracy} 差于 {limit}；请到室外或等待更好的定位",
    R.TIME_ORDER: "时间顺序错误：{detail}",
    R.TIME_BEFORE_VISIT: "{field} 比到达时间早 {early}",
    R.FIX_AFTER_DEPARTURE: "{field} 比离开时间晚 {late}",
    R.SUBMITTED_LATE: "离开后 {late} 才提交，允许 {window}",
    R.SUBMITTED_BACKFILLED: "离开后 {late} 才提交：属于补录的拜访（允许 {window}）",
    R.DWELL_TOO_SHORT: "停留 {dwell}，至少应为 {minimum}",
    R.DEVICE_CLOCK_SKEW: "手机时钟比服务器时钟{direction} {skew}，容许 {tolerance}",
    R.IMPOSSIBLE_SPEED: "{elapsed} 内距上一个定位 {distance}：推算速度 {speed}，最高可能 {ceiling}",
    R.TIME_NOT_MONOTONIC: "{field} 比上一个点倒退了 {back}",
    R.MOCK_LOCATION_FLAG: "手机报告使用了模拟位置",
    R.FIX_ACCURACY_ZERO: "精度恰好为 0 m，真实 GPS 不会出现",
    R.FIX_ACCURACY_CONSTANT: "最近 {count} 个定位的精度都恰好是 {accuracy}",
    R.FIX_GRID_SNAPPED: "坐标恰好落在 {step} 度的网格上",
    R.FIX_REPEATED_COORDINATES: "坐标与 {when} 的定位完全相同",
    R.FIX_EXACTLY_ON_CUSTOMER: "定位距门店登记点仅 {distance}：真实 GPS 不会恰好落在该点",
    R.TIMING_TOO_REGULAR: "最近 {count} 个定位的间隔都是 {gap}，误差不超过 {spread}",
    R.FIX_ACCURACY_CONSTANT_RUN: "连续 {count} 个定位之一，精度都恰好是 {accuracy}",
    R.FIX_COORDINATES_SENT_AGAIN: "{when} 的定位再次发送了完全相同的坐标",
    R.EXIF_TIME_MISMATCH: "照片 EXIF 时间比上报的拍摄时间{direction} {difference}",
    R.EXIF_POSITION_MISMATCH: "照片 EXIF 位置距 GPS 定位 {distance}，允许 {allowed}",
    R.MANDATORY_EVIDENCE_MISSING: "{evidence}（{customer_type} 类客户，规则版本 {version}）",
    R.PHOTO_MISSING_FROM_STORE: "照片存储中缺少签到 {checkin} 的照片：{detail}",
    R.UNSPECIFIED: "{checker} 检查给出 {status} 但未说明原因",
    R.NOT_YET_JUDGED: "尚无检查判定此签到（状态 {status}）",
    R.REVIEW_APPROVED: "由 {reviewer}（{role}）审核通过：{note}",
    R.REVIEW_REJECTED: "由 {reviewer}（{role}）审核驳回：{note}",
})


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that reads a message rendered from ``template`` back into
    its fields (each a non-empty text, as rendered; a field of :data:`_ZH_VALUES` one of
    its known words)."""
    parts = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if f"(?P<{name}>" in "".join(parts):
            parts.append(f"(?P={name})")
        elif name in _ZH_VALUES:  # one of a few words: no guessing where it ends
            words = "|".join(re.escape(word) for word in _ZH_VALUES[name])
            parts.append(f"(?P<{name}>{words})")
        else:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


_PATTERNS = {code: _pattern(spec.template) for code, spec in REASONS.items()}


def reason_message(code: str, english: str) -> str:
    """``english`` (a reason's message) in the current language (see the module's
    docstring)."""
    if current_language() is Language.EN or code not in ZH_REASONS or code not in _PATTERNS:
        return english
    match = _PATTERNS[ReasonCode(code)].fullmatch(english)
    if match is None:
        return english
    values = {name: _ZH_VALUES.get(name, {}).get(value, value)
              for name, value in match.groupdict().items()}
    return ZH_REASONS[ReasonCode(code)].format(**values)


def template_fields(template: str) -> set[str]:
    """The ``str.format`` field names of ``template``."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}
