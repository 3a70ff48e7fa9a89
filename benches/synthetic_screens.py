"""Synthetic 1920x1080 screens for the redaction benchmark (benches/redaction.rs): lines of
ordinary words with planted identifiers (emails, card numbers, cloud keys, IBANs, phone numbers,
IP addresses, national ids, tokens) in varied fonts, sizes and light/dark themes, and the truth:
every planted value's box. Also a sequence of screens where one line changes at a time (typing),
for the changed-region cost. Deterministic (seeded). Usage: synthetic_screens.py OUTDIR"""
import json
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFont

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
]
SIZES = [13, 16, 20]
THEMES = {"light": ((250, 250, 250), (30, 30, 30)), "dark": ((30, 30, 36), (220, 220, 220))}
WORDS = (
    "invoice quarterly review region account manager office status awaiting signature purchasing "
    "report total balance order shipment delivery customer support ticket priority schedule meeting "
    "project budget forecast approval pending draft final summary notes update version release"
).split()


def planted(rng: random.Random) -> list[tuple[str, str]]:
    def card() -> str:
        digits = [4] + [rng.randrange(10) for _ in range(14)]
        total = 0
        for i, d in enumerate(reversed(digits)):
            d = d * 2 if i % 2 == 0 else d
            total += d - 9 if d > 9 else d
        digits.append((10 - total % 10) % 10)
        s = "".join(map(str, digits))
        return " ".join(s[i : i + 4] for i in range(0, 16, 4))

    def iban() -> str:
        bban = "".join(str(rng.randrange(10)) for _ in range(18))
        n = int(bban + "131400")  # DE, check digits 00
        check = 98 - n % 97
        raw = f"DE{check:02d}{bban}"
        return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))

    name = rng.choice(["jane.doe", "a.smith", "m.keller", "li.wei", "o.brien"])
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return [
        ("Email", f"{name}{rng.randrange(100)}@example.com"),
        ("Card", card()),
        ("Key", "AKIA" + "".join(rng.choice(alnum) for _ in range(16))),
        ("IBAN", iban()),
        ("Phone", f"+1 415 555 {rng.randrange(1000, 9999)}"),
        ("Server", f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"),
        ("SSN", f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"),
        ("Token", "ghp_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(36))),
    ]


def screen(rng: random.Random, font_path: str, size: int, theme: str):
    bg, fg = THEMES[theme]
    im = Image.new("RGB", (1920, 1080), bg)
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(font_path, size)
    values = planted(rng)
    rng.shuffle(values)
    truth, lines = [], []
    y, slot = 30, 0
    line_h = int(size * 2.2)
    while y + line_h < 1060:
        for col in (0, 1):
            x = 40 + col * 960
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 7)))
            if slot < len(values) and rng.random() < 0.35:
                label, value = values[slot]
                slot += 1
                prefix = f"{words} {label}: "
                d.text((x, y), prefix, fill=fg, font=font)
                vx = x + d.textlength(prefix, font=font)
                d.text((vx, y), value, fill=fg, font=font)
                box = d.textbbox((vx, y), value, font=font)
                truth.append({"kind": label, "value": value, "box": [round(box[0]), round(box[1]), round(box[2] - box[0]), round(box[3] - box[1])]})
            else:
                d.text((x, y), words, fill=fg, font=font)
            lines.append(y)
        y += line_h
    return im, truth


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261204)
    index = []
    for theme in THEMES:
        for font in FONTS:
            for size in SIZES:
                im, truth = screen(rng, font, size, theme)
                name = f"{theme}-{os.path.basename(font)[:-4]}-{size}.png"
                im.save(os.path.join(out, name))
                index.append({"file": name, "theme": theme, "font": os.path.basename(font), "size": size, "planted": truth})
    # A typing sequence: one screen, then one line retyped per frame.
    seq_dir = os.path.join(out, "sequence")
    os.makedirs(seq_dir, exist_ok=True)
    bg, fg = THEMES["light"]
    font = ImageFont.truetype(FONTS[0], 16)
    im, _ = screen(random.Random(7), FONTS[0], 16, "light")
    sequence = []
    for i in range(12):
        d = ImageDraw.Draw(im)
        y = 30 + (i % 10) * int(16 * 2.2)
        d.rectangle([40, y, 900, y + 30], fill=bg)
        d.text((40, y), " ".join(rng.choice(WORDS) for _ in range(5)) + f" item {i}", fill=fg, font=font)
        name = f"frame-{i:02d}.png"
        im.save(os.path.join(seq_dir, name))
        sequence.append(name)
    json.dump({"screens": index, "sequence": sequence}, open(os.path.join(out, "truth.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
