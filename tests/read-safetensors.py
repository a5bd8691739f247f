#!/usr/bin/env python3
"""Reads a safetensors file with numpy alone and prints every tensor.

Used by test-checkpoint to show that a .convolve file opens outside
Convolve.  Output: "checksum ok|MISMATCH", then per tensor, in name order,
"<name> <dtype> <shape> <values…>" with values as exact Python reprs, then
"metadata <key> <value as JSON>" per metadata key, in key order; a value
that is itself a JSON document (the model, the classes, …) is parsed, so
the line proves that Python reads it too.
"""
import hashlib, json, struct, sys
import numpy as np

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n].decode("utf-8"))
data = blob[8 + n:]
meta = header.pop("__metadata__", {})
ok = meta.get("checksum") == "sha256:" + hashlib.sha256(data).hexdigest()
print("checksum", "ok" if ok else "MISMATCH")
for name in sorted(header):
    info = header[name]
    begin, end = info["data_offsets"]
    array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]])
    array = array.reshape(info["shape"])
    values = " ".join(repr(float(v)) for v in array.ravel())
    print(name, info["dtype"], json.dumps(list(array.shape)).replace(" ", ""),
          values)
for key in sorted(meta):
    value = meta[key]
    try:
        value = json.loads(value)
    except ValueError:
        pass
    print("metadata", key, json.dumps(value, sort_keys=True,
                                      separators=(",", ":")))
