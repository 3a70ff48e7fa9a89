"""Checks of the hub's review data with the consumers' own libraries.

alpha: reads {"dimensions": {name: {"level": "nominal"|"ordinal", "data": [[value or null, ...], ...]}}}
       (rows are reviewers, columns units) on stdin and prints {name: alpha or null} computed by
       the `krippendorff` package.
load-hf ENDPOINT KEY SECRET URL: loads the Parquet shards of a published hf dataset straight
       from the S3 server with `datasets.load_dataset` (through s3fs) and prints
       {"rows": N, "recordings": [sorted distinct recording_id]}.
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


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "alpha":
        alpha()
    elif mode == "load-hf":
        load_hf(*sys.argv[2:6])
    else:
        sys.exit(f"unknown mode {mode}")
