"""Checks of the hub's review data with the consumers' own libraries.

alpha: reads {"dimensions": {name: {"level": "nominal"|"ordinal", "data": [[value or null, ...], ...]}}}
       (rows are reviewers, columns units) on stdin and prints {name: alpha or null} computed by
       the `krippendorff` package.
load-hf ENDPOINT KEY SECRET URL: loads the Parquet shards of a published hf dataset straight
       from the S3 server with `datasets.load_dataset` (through s3fs) and prints
       {"rows": N, "recordings": [sorted distinct recording_id]}.
load-preferences PATH: loads a published preferences.jsonl with `datasets.load_dataset("json")`,
       checks each row is a conversational preference pair as TRL's DPO trainer reads it (prompt
       a list of messages ending with the user's, chosen and rejected one assistant message
       each) and prints {"rows": N, "columns": [...]}.
"""

import json
import math
import sys


def alpha() -> None:
    import krippendorff
    import numpy as np

    spec = json.load(sys.stdin)
    out = {}
    for name, d in spec["dimensions"].items():
        data = np.array([[np.nan if v is None else float(v) for v in row] for row in d["data"]], dtype=float)
        try:
            a = krippendorff.alpha(reliability_data=data, level_of_measurement=d["level"])
            out[name] = None if a is None or math.isnan(a) else float(a)
        except (ValueError, ZeroDivisionError):
            out[name] = None
    print(json.dumps(out))


def load_hf(endpoint: str, key: str, secret: str, url: str) -> None:
    import tempfile

    import datasets

    storage = {"key": key, "secret": secret, "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
    # A cache of its own: datasets would otherwise answer from an earlier load of the same URL.
    with tempfile.TemporaryDirectory() as cache:
        ds = datasets.load_dataset("parquet", data_files=f"{url}/part-*/data/*.parquet", storage_options=storage, split="train", cache_dir=cache)
        print(json.dumps({"rows": len(ds), "recordings": sorted(set(ds["recording_id"]))}))


def load_preferences(path: str) -> None:
    import tempfile

    import datasets

    with tempfile.TemporaryDirectory() as cache:
        ds = datasets.load_dataset("json", data_files=path, split="train", cache_dir=cache)
        for row in ds:
            prompt, chosen, rejected = row["prompt"], row["chosen"], row["rejected"]
            assert prompt and prompt[-1]["role"] == "user", f"the prompt ends with the user's turn: {prompt}"
            for side in (chosen, rejected):
                assert [m["role"] for m in side] == ["assistant"], f"one assistant turn: {side}"
                assert side[0]["content"].strip(), "a completion with content"
            assert chosen != rejected, "a pair of two different completions"
        print(json.dumps({"rows": len(ds), "columns": sorted(ds.column_names)}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "alpha":
        alpha()
    elif mode == "load-hf":
        load_hf(*sys.argv[2:6])
    elif mode == "load-preferences":
        load_preferences(sys.argv[2])
    else:
        sys.exit(f"unknown mode {mode}")
