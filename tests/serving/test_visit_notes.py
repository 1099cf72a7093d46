"""``/v1/visit-notes`` through the app: text and audio notes, what each bad input gets,
who may read a note, the link into a check-in, the pages, and a text-to-speech round trip
(espeak-ng -> WAV/OGG -> PocketSphinx -> draft)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import uuid
import wave
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tests.api_harness import Api, shelf_photo
from tests.builders import TENANT, make_contact, make_customer, make_upload_meta
from visitproof.store import Store

ZONE = ZoneInfo("Asia/Shanghai")
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (make "
                                  "pytest installs it: the `tts` target)")


@pytest.fixture
def seeded(api: Api) -> Api:
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_customers([
            replace(make_customer("zj1", type="hospital_department"),
                    name="浙江大学医学院附属第一医院放射科"),
            replace(make_customer("wm", type="hypermarket"), name="Walmart Binjiang"),
            replace(make_customer("r2c", reps=("r2",)), name="Hualian Supermarket #9"),
        ])
        store.crm.put_contacts([
            replace(make_contact("k1", customer="zj1", role="department_head"), name="李建国"),
            replace(make_contact("k2", customer="wm", role="purchasing_officer"),
                    name="Sarah Chen"),
        ])
    return api


def tone_wav(seconds: float = 1.0, rate: int = 8000, width: int = 2) -> bytes:
    """A 440 Hz tone as PCM WAV."""
    t = np.arange(int(seconds * rate)) / rate
    wave_data = 0.3 * np.sin(2 * np.pi * 440 * t)
    if width == 1:
        frames = ((wave_data + 1) * 127).astype(np.uint8).tobytes()
    else:
        frames = (wave_data * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(width)
        stream.setframerate(rate)
        stream.writeframes(frames)
    return buffer.getvalue()


def post_text(api: Api, text: str, who: str = "rep", **extra: Any) -> Any:
    return api.client.post("/v1/visit-notes", json={"text": text, **extra},
                           headers=api.auth(who))


def post_audio(api: Api, data: bytes, *, filename: str = "note.wav",
               content_type: str = "audio/wav", who: str = "rep", **fields: str) -> Any:
    return api.client.post("/v1/visit-notes", data=fields,
                           files={"audio": (filename, data, content_type)},
                           headers=api.auth(who))


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def test_a_typed_chinese_note_becomes_a_draft(seeded: Api) -> None:
    recorded = datetime(2026, 11, 3, 17, 30, tzinfo=ZONE)  # a Tuesday
    response = post_text(seeded, "今天拜访浙一医院放射科李主任，聊了DSA维保续签，他同意对比报价，"
                         "下周三前给反馈", recorded_at=recorded.isoformat())
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["status"] == "draft"
    assert note["language"] == "zh"
    assert note["audio"] is None
    assert note["transcript"] is None
    draft = note["draft"]
    assert draft["customer"]["id"] == "zj1"
    assert draft["department"] == "放射科"
    assert draft["contact"] == {"id": "k1", "name": "李建国", "role": "department_head"}
    assert draft["conclusion"] == "他同意对比报价"
    assert draft["next_action"]["text"] == "下周三前给反馈"
    assert datetime.fromisoformat(draft["next_action"]["due_at"]) == datetime(
        2026, 11, 11, 18, tzinfo=ZONE)
    assert draft["unresolved"] == []
    again = seeded.client.get(f"/v1/visit-notes/{note['id']}", headers=seeded.auth("rep"))
    assert again.status_code == 200
    assert again.json() == note


def test_only_the_reps_own_customers_are_matched(seeded: Api) -> None:
    note = post_text(seeded, "Hualian Supermarket #9, talked to the manager").json()
    assert note["draft"]["customer"] is None  # r2's customer, not r1's


def _long_text() -> str:
    return "浙" * 4001


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 422, "VISIT_NOTE_EMPTY"),
    ({"text": "   "}, 422, "VISIT_NOTE_EMPTY"),
    ({"text": "浙" * 4001}, 422, "TOO_LONG"),
    ({"text": "浙" * 9000}, 422, "TOO_LONG"),
    ({"text": "ok", "recorded_at": "2026-11-03T09:00:00"}, 422, "NAIVE_TIMESTAMP"),
    ({"text": "ok", "recorded_at": "not a time"}, 422, "BAD_TIMESTAMP"),
    ({"text": "ok", "recorded_at": "2999-01-01T00:00:00Z"}, 422, "FUTURE_TIMESTAMP"),
    ({"text": "ok", "language": "fr"}, 422, "UNKNOWN_ENUM_VALUE"),
    ({"text": "ok", "mood": "good"}, 422, "UNKNOWN_FIELD"),
    ({"text": 5}, 422, "BAD_TYPE"),
    ([], 422, "VISIT_NOTE_EMPTY"),
])
def test_bad_json_notes_are_refused_with_a_stable_code(seeded: Api, body: Any, status: int,
                                                       code: str) -> None:
    response = seeded.client.post("/v1/visit-notes", content=json.dumps(body),
                                  headers={**seeded.auth("rep"),
                                           "Content-Type": "application/json"})
    _refused(response, status, code)


def test_broken_json_is_refused(seeded: Api) -> None:
    response = seeded.client.post("/v1/visit-notes", content=b"{not json",
                                  headers={**seeded.auth("rep"),
                                           "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("BAD_JSON", "MALFORMED_REQUEST")


@pytest.mark.parametrize(("data", "filename", "content_type", "code"), [
    (b"", "note.wav", "audio/wav", "AUDIO_EMPTY"),
    (b"hello, not audio at all", "note.wav", "audio/wav", "AUDIO_UNSUPPORTED_FORMAT"),
    (b"hello, not audio at all", "note.txt", "text/plain", "AUDIO_UNREADABLE"),
    (b"ID3\x03\x00" + b"\x00" * 100, "note.mp3", "audio/mpeg", "AUDIO_UNSUPPORTED_FORMAT"),
    (tone_wav()[:30], "note.wav", "audio/wav", "AUDIO_UNREADABLE"),  # a cut-off header
    (b"OggS" + b"\x00" * 60, "note.ogg", "audio/ogg", "AUDIO_UNREADABLE"),
    (tone_wav(181.0, rate=4000, width=1), "note.wav", "audio/wav", "AUDIO_TOO_LONG"),
])
def test_bad_recordings_are_refused_with_a_stable_code(seeded: Api, data: bytes,
                                                       filename: str, content_type: str,
                                                       code: str) -> None:
    _refused(post_audio(seeded, data, filename=filename, content_type=content_type,
                        language="en"), 422, code)


def test_a_recording_over_the_size_limit_is_413(seeded: Api) -> None:
    data = tone_wav(1.0) + b"\x00" * (8 * 1024 * 1024)
    _refused(post_audio(seeded, data, language="en"), 413, "AUDIO_TOO_LARGE")


def test_text_and_audio_together_are_refused(seeded: Api) -> None:
    _refused(post_audio(seeded, tone_wav(), text="浙一放射科"), 422, "VISIT_NOTE_BOTH")


def test_a_second_text_part_is_refused(seeded: Api) -> None:
    response = seeded.client.post("/v1/visit-notes", files=[
        ("text", (None, "one")), ("text", (None, "two"))], headers=seeded.auth("rep"))
    _refused(response, 422, "DUPLICATE_FIELD")


def test_only_reps_post_notes(seeded: Api) -> None:
    _refused(post_text(seeded, "浙一放射科", who="manager"), 403, "FORBIDDEN")
    _refused(seeded.client.post("/v1/visit-notes", json={"text": "x"}), 401,
             "UNAUTHENTICATED")


def test_a_chinese_recording_is_stored_playable_and_marked_for_typing(seeded: Api) -> None:
    data = tone_wav(2.0)
    response = post_audio(seeded, data)  # no language: the tenant's (Asia/Shanghai: zh)
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["status"] == "needs_typing"
    assert note["language"] == "zh"
    assert note["transcript"] is None
    assert note["draft"] is None
    assert note["audio"]["media_type"] == "audio/wav"
    assert note["audio"]["duration_s"] == pytest.approx(2.0)
    played = seeded.client.get(note["audio"]["url"], headers=seeded.auth("manager"))
    assert played.status_code == 200
    assert played.content == data
    assert played.headers["content-type"] == "audio/wav"


def test_who_may_read_a_note(seeded: Api) -> None:
    note_id = post_text(seeded, "浙一放射科李主任同意").json()["id"]
    for who, status in (("rep", 200), ("manager", 200), ("director", 200), ("admin", 200),
                        ("rep2", 404), ("manager_t2", 404), ("other_tenant_admin", 404)):
        response = seeded.client.get(f"/v1/visit-notes/{note_id}", headers=seeded.auth(who))
        assert response.status_code == status, (who, response.text)
    _refused(seeded.client.get(f"/v1/visit-notes/{note_id}/audio", headers=seeded.auth("rep")),
             404, "NOT_FOUND")  # a typed note has no recording
    _refused(seeded.client.get(f"/v1/visit-notes/{uuid.uuid4()}", headers=seeded.auth("rep")),
             404, "NOT_FOUND")
    _refused(seeded.client.get("/v1/visit-notes/not-a-uuid", headers=seeded.auth("rep")),
             422, "BAD_IDENTIFIER")


def _upload(api: Api, meta: dict[str, Any], note_id: str | None, who: str = "rep") -> Any:
    data: dict[str, str] = {"meta": json.dumps(meta)}
    if note_id is not None:
        data["visit_note_id"] = note_id
    return api.client.post("/v1/checkins", data=data,
                           files={"photo": ("shelf.jpg", shelf_photo(), "image/jpeg")},
                           headers=api.auth(who))


def test_a_note_is_linked_once_to_the_checkin_it_became(seeded: Api) -> None:
    note_id = post_text(seeded, "浙一放射科李主任同意对比报价，下周三前给反馈").json()["id"]
    meta = make_upload_meta(customer="c1")
    first = _upload(seeded, meta, note_id)
    assert first.status_code == 201, first.text
    note = seeded.client.get(f"/v1/visit-notes/{note_id}", headers=seeded.auth("rep")).json()
    assert note["status"] == "used"
    assert note["checkin_id"] == meta["id"]
    assert _upload(seeded, meta, note_id).status_code == 200  # the idempotent retry
    _refused(_upload(seeded, make_upload_meta(customer="c1"), note_id), 409,
             "VISIT_NOTE_ALREADY_USED")
    # The same check-in id with another (or no) note is another body.
    _refused(_upload(seeded, meta, None), 409, "CHECKIN_ID_CONFLICT")


def test_a_checkin_naming_a_note_that_is_not_the_reps_is_refused(seeded: Api) -> None:
    others = post_text(seeded, "浙一放射科", who="rep2").json()["id"]
    before = seeded.stored()
    _refused(_upload(seeded, make_upload_meta(customer="c1"), others), 422,
             "VISIT_NOTE_NOT_FOUND")
    _refused(_upload(seeded, make_upload_meta(customer="c1"), str(uuid.uuid4())), 422,
             "VISIT_NOTE_NOT_FOUND")
    _refused(_upload(seeded, make_upload_meta(customer="c1"), "nope"), 422,
             "BAD_IDENTIFIER")
    assert seeded.stored() == before


def test_the_manager_drill_down_shows_the_note_and_plays_its_recording(seeded: Api) -> None:
    data = tone_wav(1.5)
    note = post_audio(seeded, data, language="zh").json()
    meta = make_upload_meta(customer="c1")
    assert _upload(seeded, meta, note["id"]).status_code == 201
    seeded.client.get("/manager/login", params={"token": seeded.tokens["manager"]})
    page = seeded.client.get(f"/manager/checkins/{meta['id']}")
    assert page.status_code == 200
    audio_src = f"/manager/visit-notes/{note['id']}/audio"
    assert "<h2>Visit note</h2>" in page.text
    assert f"<audio controls preload='none' src='{audio_src}'>" in page.text
    played = seeded.client.get(audio_src)
    assert played.status_code == 200
    assert played.content == data


def test_the_rep_notes_page_posts_a_note_and_shows_its_draft(seeded: Api) -> None:
    seeded.client.get("/rep/login", params={"token": seeded.tokens["rep"]})
    form = seeded.client.get("/rep/notes")
    assert form.status_code == 200
    assert "<textarea" in form.text
    assert "type='file'" in form.text
    token = form.text.split("name='csrf_token' value='")[1].split("'")[0]
    answer = seeded.client.post("/rep/notes", data={
        "csrf_token": token, "text": "Walmart Binjiang: Sarah Chen confirmed the trial order. "
        "Follow up next Wednesday.", "language": ""})
    assert answer.status_code == 201, answer.text
    assert "Walmart Binjiang" in answer.text
    assert "Sarah Chen" in answer.text
    # A browser sends the file input even when no file was chosen: a nameless, empty part.
    typed = seeded.client.post("/rep/notes", data={"csrf_token": token, "text": "Walmart "
                               "Binjiang, nothing agreed"}, files={"audio": ("", b"")})
    assert typed.status_code == 201, typed.text
    both = seeded.client.post("/rep/notes", data={"csrf_token": token, "text": "x"},
                              files={"audio": ("note.wav", b"RIFF")})
    assert both.status_code == 422
    assert "VISIT_NOTE_BOTH" in both.text
    refused = seeded.client.post("/rep/notes", data={"text": "x"})
    assert refused.status_code == 403
    assert "CSRF_REJECTED" in refused.text


def test_the_endpoint_and_its_codes_are_in_the_openapi_document(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    post = document["paths"]["/v1/visit-notes"]["post"]
    assert {"201", "413", "422"} <= set(post["responses"])
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "/v1/visit-notes/{note_id}/audio" in document["paths"]
    text = json.dumps(document)
    for code in ("VISIT_NOTE_EMPTY", "VISIT_NOTE_BOTH", "VISIT_NOTE_NOT_FOUND",
                 "VISIT_NOTE_ALREADY_USED", "AUDIO_TOO_LARGE", "AUDIO_TOO_LONG",
                 "AUDIO_UNREADABLE", "AUDIO_UNSUPPORTED_FORMAT", "AUDIO_EMPTY"):
        assert code in text, code
    upload = document["paths"]["/v1/checkins"]["post"]["requestBody"]["content"]
    form = upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "visit_note_id" in document["components"]["schemas"][form]["properties"]


def speak(text: str, path: Path, voice: str = "en-us") -> bytes:
    """``text`` spoken by espeak-ng into a WAV file (22 050 Hz mono); its bytes."""
    assert ESPEAK is not None
    subprocess.run([ESPEAK, "-v", voice, "-s", "140", "-w", str(path), text], check=True,
                   capture_output=True, timeout=60)
    return path.read_bytes()


@needs_espeak
@pytest.mark.parametrize("container", ["wav", "ogg"])
def test_text_to_speech_round_trip(seeded: Api, tmp_path: Path, container: str) -> None:
    data = speak("Visited Walmart today. Sarah Chen confirmed the order. Send the contract "
                 "by Friday.", tmp_path / "note.wav")
    if container == "ogg":
        import soundfile

        samples, rate = soundfile.read(io.BytesIO(data))
        buffer = io.BytesIO()
        soundfile.write(buffer, samples, rate, format="OGG", subtype="VORBIS")
        data = buffer.getvalue()
    recorded = datetime(2026, 11, 3, 17, 30, tzinfo=ZONE)  # a Tuesday
    response = post_audio(seeded, data, filename=f"note.{container}",
                          content_type=f"audio/{container}", language="en",
                          recorded_at=recorded.isoformat())
    assert response.status_code == 201, response.text
    note = response.json()
    print(f"transcript ({container}): {note['transcript']!r}")
    assert note["status"] == "draft"
    assert note["audio"]["media_type"] == f"audio/{container}"
    assert note["draft"]["customer"]["id"] == "wm", note["transcript"]
    due = datetime.fromisoformat(note["draft"]["next_action"]["due_at"])
    assert due == datetime(2026, 11, 6, 18, tzinfo=ZONE), note["transcript"]
    played = seeded.client.get(note["audio"]["url"], headers=seeded.auth("rep"))
    assert played.content == data


@needs_espeak
def test_a_spoken_chinese_note_is_kept_for_typing(seeded: Api, tmp_path: Path) -> None:
    data = speak("今天拜访浙一医院放射科李主任", tmp_path / "zh.wav", voice="cmn")
    note = post_audio(seeded, data, language="zh").json()
    assert note["status"] == "needs_typing"
    assert note["transcript"] is None
    played = seeded.client.get(note["audio"]["url"], headers=seeded.auth("rep"))
    assert played.content == data


def test_recorded_at_decides_what_next_wednesday_means(seeded: Api) -> None:
    sunday = datetime(2026, 11, 8, 20, tzinfo=ZONE)
    note = post_text(seeded, "Walmart Binjiang, follow up next Wednesday",
                     recorded_at=sunday.astimezone(UTC).isoformat()).json()
    due = datetime.fromisoformat(note["draft"]["next_action"]["due_at"])
    assert due == datetime(2026, 11, 11, 18, tzinfo=ZONE)
    assert datetime.fromisoformat(note["created_at"]) == sunday
    assert due - sunday < timedelta(days=3)
