"""A recorded visit note: decoded, checked, and (English) transcribed on this machine.

    audio = decode_audio(data, filename="note.ogg", content_type="audio/ogg")
    text = transcribe_english(audio, names=["Walmart Binjiang", "David Miller"])

- **Formats**: WAV (PCM, read with the standard library's :mod:`wave`; other WAV encodings
  and OGG Vorbis/Opus through ``soundfile``, whose wheel bundles libsndfile). The bytes
  decide, not the name: a file that is neither is 422 ``AUDIO_UNSUPPORTED_FORMAT`` when it
  says it is audio (an MP3, an M4A) and ``AUDIO_UNREADABLE`` otherwise; a WAV or OGG that
  can't be decoded is ``AUDIO_UNREADABLE``; empty is ``AUDIO_EMPTY``; longer than
  :data:`MAX_DURATION_S` is ``AUDIO_TOO_LONG``. (The size limit, :data:`MAX_AUDIO_BYTES`, is
  checked by the edge: 413 ``AUDIO_TOO_LARGE``.)
- **Recognition**: PocketSphinx (``pocketsphinx`` wheel: the en-us acoustic model, its
  dictionary and language model, nothing downloaded), on 16 kHz mono 16-bit samples
  (channels averaged, resampled linearly). The general language model hears little of a
  rep's note (on espeak-ng speech it got "we didn't want to say i agree re what you think");
  so each request builds a small trigram model (:class:`pocketsphinx.lm.ArpaBoLM`) from the
  rep's customer and contact names and the phrases notes are made of (:data:`PHRASES`).
  Words the dictionary lacks (pinyin names such as Binjiang) can't be heard at all; the
  draft then matches on the words that can.
- **Chinese**: no packaged model covers Mandarin here, so Chinese recordings are stored and
  playable, with no transcript (the note's status is ``needs_typing``).
"""

from __future__ import annotations

import io
import re
import tempfile
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from visitproof.errors import InvalidValue

MAX_AUDIO_BYTES = 8 * 1024 * 1024
"""The largest recording accepted (bytes)."""

MAX_DURATION_S = 180.0
"""The longest recording accepted (seconds): a note, not a meeting."""

SAMPLE_RATE = 16_000

PHRASES = (
    "visited the customer today", "met the manager", "met doctor", "met director",
    "he agreed to", "she agreed to", "they agreed to", "agreed to compare quotes",
    "agreed to a trial", "agreed to renew the maintenance contract", "confirmed the order",
    "send the quote", "send the contract", "send the draft contract", "follow up",
    "call him", "call her", "reply by", "before", "next week", "this week", "tomorrow",
    "today", "the day after tomorrow", "end of the month", "early next month",
    "in two days", "in three days", "in a week", "next monday", "next tuesday",
    "next wednesday", "next thursday", "next friday", "this monday", "this tuesday",
    "this wednesday", "this thursday", "this friday", "by monday", "by tuesday",
    "by wednesday", "by thursday", "by friday", "on monday", "on friday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "at ten", "at nine", "at three pm", "ten am",
    "first", "second", "third", "tenth", "twentieth", "one two three four five six seven "
    "eight nine ten eleven twelve fifteen twenty thirty", "a second facing for the new product",
    "shelf", "display", "promotion", "price", "order", "delivery", "stock", "sample",
    "radiology", "cardiology", "pharmacy", "hospital", "supermarket", "store",
)


@dataclass(frozen=True, slots=True)
class DecodedAudio:
    """A recording as uploaded (``media_type``, ``duration_s``) and its samples as the
    recogniser wants them: 16 kHz mono signed 16-bit little-endian."""

    media_type: str
    duration_s: float
    pcm16k: bytes = field(repr=False)


def _refuse(*, code: str, message: str) -> InvalidValue:
    return InvalidValue("audio", message, code=code)


_AUDIO_NAMES = re.compile(r"\.(mp3|m4a|aac|amr|webm|flac|opus|wma|3gp|caf|aiff?)$",
                          re.IGNORECASE)


def audio_format(data: bytes) -> str | None:
    """``audio/wav`` or ``audio/ogg`` by the first bytes, else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"OggS":
        return "audio/ogg"
    return None


def decode_audio(data: bytes, *, filename: str | None = None,
                 content_type: str | None = None) -> DecodedAudio:
    """Check and decode one recording (see the module docstring for each refusal)."""
    if not data:
        raise _refuse(code="AUDIO_EMPTY",
                      message="the recording is empty (0 bytes); record the note again")
    media_type = audio_format(data)
    if media_type is None:
        declared = (content_type or "").split(";")[0].strip().lower()
        if declared.startswith("audio/") or _AUDIO_NAMES.search(filename or ""):
            raise _refuse(code="AUDIO_UNSUPPORTED_FORMAT",
                          message=f"{declared or filename} is not supported; send WAV or OGG "
                          "(Vorbis or Opus)")
        raise _refuse(code="AUDIO_UNREADABLE",
                      message="the file is not a WAV or OGG recording")
    try:
        samples, rate = _read_wav(data) if media_type == "audio/wav" else _read_other(data)
    except (wave.Error, EOFError, ValueError, RuntimeError, OSError) as error:
        raise _refuse(code="AUDIO_UNREADABLE",
                      message=f"the recording can't be decoded ({error}); record it again"
                      ) from None
    if samples.size == 0 or rate <= 0:
        raise _refuse(code="AUDIO_UNREADABLE", message="the recording holds no sound")
    duration = samples.shape[0] / rate
    if duration > MAX_DURATION_S:
        raise _refuse(code="AUDIO_TOO_LONG", message=f"the recording lasts {duration:.0f} s; "
                      f"at most {MAX_DURATION_S:.0f} s")
    return DecodedAudio(media_type=media_type, duration_s=round(duration, 3),
                        pcm16k=_to_pcm16k(samples, rate))


def _read_wav(data: bytes) -> tuple[np.ndarray, int]:
    try:
        with wave.open(io.BytesIO(data)) as stream:
            width, channels, rate = (stream.getsampwidth(), stream.getnchannels(),
                                     stream.getframerate())
            _require_short(stream.getnframes(), rate, channels)
            frames = stream.readframes(stream.getnframes())
    except wave.Error:
        return _read_other(data)  # not PCM (float, A-law, ...): libsndfile reads those
    if width not in (1, 2, 4) or channels < 1:
        return _read_other(data)
    dtype, offset, scale = {1: ("u1", 128.0, 128.0), 2: ("<i2", 0.0, 32768.0),
                            4: ("<i4", 0.0, 2147483648.0)}[width]
    whole = frames[:len(frames) - len(frames) % (width * channels)]
    values = (np.frombuffer(whole, dtype=dtype).astype(np.float64) - offset) / scale
    return values.reshape(-1, channels), rate


def _read_other(data: bytes) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        with soundfile.SoundFile(io.BytesIO(data)) as stream:
            # Judged from the header before a sample is decoded: 8 MiB of Opus at a low
            # bitrate holds hours, which would decode to gigabytes.
            _require_short(stream.frames, stream.samplerate, stream.channels)
            values = stream.read(dtype="float32", always_2d=True)
            rate = stream.samplerate
    except soundfile.LibsndfileError as error:
        raise ValueError(str(error)) from None
    return values, int(rate)


def _require_short(frames: int, rate: int, channels: int) -> None:
    """AUDIO_TOO_LONG past :data:`MAX_DURATION_S`, AUDIO_UNREADABLE for a header no phone
    writes (no rate, or more than 8 channels), both before anything is decoded."""
    if rate <= 0 or not 1 <= channels <= 8:
        raise ValueError(f"{channels} channels at {rate} Hz")
    if frames / rate > MAX_DURATION_S:
        raise _refuse(code="AUDIO_TOO_LONG", message=f"the recording lasts {frames / rate:.0f} "
                      f"s; at most {MAX_DURATION_S:.0f} s")


def _to_pcm16k(samples: np.ndarray, rate: int) -> bytes:
    mono = samples.mean(axis=1)
    if rate != SAMPLE_RATE:
        positions = np.arange(0, mono.shape[0], rate / SAMPLE_RATE)
        mono = np.interp(positions, np.arange(mono.shape[0]), mono)
    pcm: bytes = (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return pcm


def bias_corpus(names: Iterable[str]) -> list[str]:
    """The sentences the request's language model is built from: :data:`PHRASES` and the
    names (lower case, Latin words only; each also inside a typical sentence)."""
    lines = list(PHRASES)
    for name in names:
        words = " ".join(re.findall(r"[a-z]+", name.casefold()))
        if words:
            lines += [words, f"visited {words} today", f"met {words}"]
    return lines


def transcribe_english(audio: DecodedAudio, *, names: Iterable[str] = ()) -> str:
    """The English transcript of ``audio`` (lower case; empty when nothing was heard),
    with recognition biased towards ``names`` and :data:`PHRASES` (see the module
    docstring). Takes about the recording's length in CPU time."""
    from pocketsphinx import Decoder
    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="\n".join(bias_corpus(names)), add_start=True, case="lower")
    model.compute()
    with tempfile.TemporaryDirectory(prefix="visitproof-lm-") as folder:
        path = Path(folder) / "note.arpa"
        with path.open("w", encoding="utf-8") as stream:
            model.write(stream)
        decoder = Decoder(samprate=SAMPLE_RATE, lm=str(path), loglevel="FATAL")
        decoder.start_utt()
        decoder.process_raw(audio.pcm16k, full_utt=True)
        decoder.end_utt()
    hypothesis = decoder.hyp()
    return "" if hypothesis is None else str(hypothesis.hypstr)
