"""application.visit_note_audio: decoding (WAV through the standard library, OGG and other
WAV encodings through libsndfile), the limits, and the recogniser's bias corpus."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
import soundfile

from application.visit_note_audio import (
    MAX_DURATION_S,
    SAMPLE_RATE,
    audio_format,
    bias_corpus,
    decode_audio,
)
from visitproof.errors import InvalidValue


def wav(seconds: float, *, rate: int = 22050, width: int = 2, channels: int = 1) -> bytes:
    frames = int(seconds * rate)
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(frames) / rate)
    samples = np.repeat(tone[:, None], channels, axis=1)
    data = ((samples + 1) * 127).astype("u1") if width == 1 else \
        (samples * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as stream:
        stream.setnchannels(channels)
        stream.setsampwidth(width)
        stream.setframerate(rate)
        stream.writeframes(data.tobytes())
    return buffer.getvalue()


def encoded(seconds: float, format: str, subtype: str, rate: int = 48000) -> bytes:
    buffer = io.BytesIO()
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)
    soundfile.write(buffer, tone, rate, format=format, subtype=subtype)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "media_type", "seconds"), [
    (wav(1.0), "audio/wav", 1.0),
    (wav(2.0, rate=8000, width=1), "audio/wav", 2.0),
    (wav(0.5, rate=44100, channels=2), "audio/wav", 0.5),
    (wav(1.0, rate=16000), "audio/wav", 1.0),
    (encoded(1.0, "WAV", "FLOAT"), "audio/wav", 1.0),  # not PCM: libsndfile reads it
    (encoded(1.5, "OGG", "VORBIS"), "audio/ogg", 1.5),
    (encoded(1.0, "OGG", "OPUS"), "audio/ogg", 1.0),
])
def test_recordings_become_16khz_mono_samples(data: bytes, media_type: str,
                                              seconds: float) -> None:
    audio = decode_audio(data)
    assert audio.media_type == media_type
    assert audio.duration_s == pytest.approx(seconds, abs=0.02)
    assert len(audio.pcm16k) == pytest.approx(2 * SAMPLE_RATE * seconds, rel=0.02)
    samples = np.frombuffer(audio.pcm16k, dtype="<i2")
    assert 10000 < np.abs(samples).max() <= 32767  # the tone survives, not clipped to 0


@pytest.mark.parametrize(("data", "filename", "content_type", "code"), [
    (b"", None, None, "AUDIO_EMPTY"),
    (b"\xff\xfb\x90\x00" * 50, "note.mp3", None, "AUDIO_UNSUPPORTED_FORMAT"),
    (b"ftypM4A " * 10, None, "audio/mp4", "AUDIO_UNSUPPORTED_FORMAT"),
    (b"%PDF-1.7", "note.pdf", "application/pdf", "AUDIO_UNREADABLE"),
    (wav(1.0)[:40], "note.wav", None, "AUDIO_UNREADABLE"),
    (b"RIFF\x00\x00\x00\x00WAVE", "note.wav", None, "AUDIO_UNREADABLE"),
    (b"OggS" + bytes(100), "note.ogg", None, "AUDIO_UNREADABLE"),
    (wav(MAX_DURATION_S + 1, rate=4000, width=1), "note.wav", None, "AUDIO_TOO_LONG"),
    # Opus packs minutes into a few kB: its length is judged from the header, before decoding.
    (encoded(MAX_DURATION_S + 1, "OGG", "OPUS", rate=8000), "note.ogg", None,
     "AUDIO_TOO_LONG"),
    (wav(0.1, rate=8000, channels=9), "note.wav", None, "AUDIO_UNREADABLE"),
])
def test_what_each_bad_recording_gets(data: bytes, filename: str | None,
                                      content_type: str | None, code: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        decode_audio(data, filename=filename, content_type=content_type)
    assert raised.value.code == code
    assert raised.value.field == "audio"


def test_the_bytes_decide_the_format_not_the_name() -> None:
    assert audio_format(wav(0.1)) == "audio/wav"
    assert audio_format(encoded(0.1, "OGG", "VORBIS")) == "audio/ogg"
    assert audio_format(b"ID3") is None
    assert decode_audio(wav(0.2), filename="note.ogg",
                        content_type="audio/ogg").media_type == "audio/wav"


def test_the_bias_corpus_holds_the_names_latin_words() -> None:
    lines = bias_corpus(["Walmart Binjiang", "李建国", "Sarah Chen"])
    assert "walmart binjiang" in lines
    assert "met sarah chen" in lines
    assert not any("李" in line for line in lines)
