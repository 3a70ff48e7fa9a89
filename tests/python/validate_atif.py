"""Validates Apprentice ATIF exports with the `atif` package's Pydantic models (ATIF v1.8).

Usage: validate_atif.py FILE.atif.json ; prints one JSON line per tool call (its arguments) and
exits non-zero on a problem (schema errors, images that are not on disk or do not decode, audio
parts whose file is not FLAC of the stated duration).
"""
import json
import pathlib
import sys

from atif import Trajectory
from PIL import Image


def check_flac(file, duration_sec):
    """A FLAC stream whose STREAMINFO says 16 kHz mono and the duration the part states."""
    data = file.read_bytes()
    if data[:4] != b"fLaC":
        raise SystemExit(f"FAILED: {file} is not FLAC")
    info = data[8:8 + 34]
    rate = int.from_bytes(info[10:13], "big") >> 4
    channels = ((info[12] >> 1) & 0x7) + 1
    total = int.from_bytes(info[13:18], "big") & ((1 << 36) - 1)
    if rate != 16000 or channels != 1 or abs(total / rate - duration_sec) > 0.01:
        raise SystemExit(f"FAILED: {file}: {rate} Hz, {channels} channels, {total / rate:.2f} s (part says {duration_sec})")


def main():
    path = pathlib.Path(sys.argv[1])
    t = Trajectory.model_validate_json(path.read_text())
    if t.schema_version != "ATIF-v1.8" or not t.has_multimodal_content():
        raise SystemExit("FAILED: not a multimodal ATIF-v1.8 trajectory")
    for step in t.steps:
        parts = list(step.message) if isinstance(step.message, list) else []
        for result in (step.observation.results if step.observation else []):
            parts += result.content if isinstance(result.content, list) else []
        for part in parts:
            if part.type == "image":
                Image.open(path.parent / part.source.path).load()
            if part.type == "audio":
                check_flac(path.parent / part.source.path, part.source.duration_sec)
        for call in step.tool_calls or []:
            audio = [p.source.path for p in parts if p.type == "audio"]
            print(json.dumps({"step": step.step_id, "function": call.function_name, "arguments": call.arguments, "thought": step.reasoning_content, "audio": audio}))


if __name__ == "__main__":
    main()
