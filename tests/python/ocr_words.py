"""The words Tesseract reads in every image (PNG, WebP) under a directory, as JSON {relative path: [words]}.
The tests' own reader, stronger than the exporter's (each image scaled up 2x first), so a value
the exporter's redaction left readable is found. Usage: ocr_words.py DIR"""
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image


def words(path: str) -> list[str]:
    with Image.open(path) as im:
        big = im.convert("RGB").resize((im.width * 2, im.height * 2), Image.BICUBIC)
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        big.save(f.name)
        out = subprocess.run(
            ["tesseract", f.name, "-", "--psm", "11", "-c", "thresholding_method=1"],
            capture_output=True, text=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        ).stdout
    return out.split()


def main() -> None:
    root = sys.argv[1]
    found = {}
    for d, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith((".png", ".webp")):
                path = os.path.join(d, name)
                found[os.path.relpath(path, root)] = words(path)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
