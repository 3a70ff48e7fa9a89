"""Iterates Apprentice WebDataset shards with the webdataset library and checks every sample.

Usage: validate_webdataset.py SHARD.tar... ; prints "samples N" and exits non-zero on a problem.
"""
import json
import sys

import webdataset as wds


def main():
    shards = sys.argv[1:]
    count = 0
    for sample in wds.WebDataset(shards, shardshuffle=False, empty_check=False).decode("pil"):
        meta = sample["json"]
        for field in ("recording_id", "step", "action", "code", "reasoning"):
            if field not in meta:
                raise SystemExit(f"FAILED: {sample['__key__']}: no {field}")
        img = sample.get("png")
        if img is None or img.size[0] < 1:
            raise SystemExit(f"FAILED: {sample['__key__']}: no before image")
        if "after.png" in sample and sample["after.png"].size != img.size:
            raise SystemExit(f"FAILED: {sample['__key__']}: after image size differs")
        if sample["__key__"] != f"{meta['recording_id']}_{meta['step']:05d}":
            raise SystemExit(f"FAILED: key {sample['__key__']} does not match its json")
        count += 1
    print(f"samples {count}")


if __name__ == "__main__":
    main()
