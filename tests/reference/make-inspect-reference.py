#!/usr/bin/python3
"""Writes tests/reference/inspect.json, the PyTorch reference that
tests/test-inspect.c checks feature maps and Grad-CAM against.

Run from anywhere with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make-inspect-reference.py

The model, its parameters and the input come from the formulas of
make-torch-reference.py (the same PyTorch twin of a Convolve model), so
the file only holds the recipe and the results: every layer's output for
one image in inference mode (batch-norm with running statistics, dropout
inactive), and Grad-CAM at three layers for both classes — the gradient
of the logit (positive class) or of its negation (the other class) with
respect to the layer's output, averaged over space into channel weights,
the ReLU of the weighted sum of the maps, and that upsampled to the input
size with F.interpolate (bilinear, align_corners=False).
"""

import importlib.util
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

spec = importlib.util.spec_from_file_location(
    "layers_reference", os.path.join(HERE, "make-torch-reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

MODEL = ref.model(
    12, 10, 3,
    {"id": "conv1", "type": "conv2d", "filters": 4, "kernel": [3, 3],
     "stride": [1, 1], "padding": "same"},
    {"id": "bn1", "type": "batch-norm", "momentum": 0.1, "epsilon": 1e-5},
    {"id": "relu1", "type": "relu"},
    {"id": "pool1", "type": "max-pool", "size": [2, 2], "stride": [2, 2],
     "padding": "valid"},
    {"id": "conv2", "type": "conv2d", "filters": 5, "kernel": [3, 3],
     "stride": [1, 1], "padding": "valid"},
    {"id": "relu2", "type": "relu"},
    {"id": "drop", "type": "dropout", "rate": 0.5},
    {"id": "flat", "type": "flatten"},
    {"id": "fc1", "type": "dense", "units": 6},
    {"id": "relu3", "type": "relu"},
    {"id": "out", "type": "dense", "units": 1})

GRADCAM_LAYERS = ["conv2", "relu2", "conv1"]


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = ref.build(MODEL)
    net.eval()

    params = {}
    for seed, (name, tensor) in enumerate(ref.named_tensors(net, MODEL),
                                          start=1):
        suffix = name.split(".", 1)[1]
        if suffix == "weight" and not name.startswith("bn"):
            scale, offset = 1.0 / math.sqrt(tensor[0].numel()), 0.0
        elif suffix == "weight":
            scale, offset = 0.3, 1.0
        elif suffix == "running_var":
            scale, offset = 0.4, 1.0
        else:
            scale, offset = 0.2, 0.0
        with torch.no_grad():
            tensor.copy_(ref.formula(tensor.numel(), seed, scale,
                                     offset).reshape(tensor.shape))
        params[name] = {"seed": seed, "scale": scale, "offset": offset}

    inp = MODEL["input"]
    x = ref.formula(inp["channels"] * inp["height"] * inp["width"], 1000, 1.0)
    x = x.reshape(1, inp["channels"], inp["height"], inp["width"])

    ids = [layer["id"] for layer in MODEL["layers"]]
    outputs = {}
    gradcam = []
    for target in (1, 0):
        for layer_id in GRADCAM_LAYERS:
            acts = []
            h = x
            for layer in net:
                h = layer(h)
                h.retain_grad()
                acts.append(h)
            logit = h.reshape(-1)[0]
            score = logit if target == 1 else -logit
            score.backward()
            a = acts[ids.index(layer_id)]
            weights = a.grad.mean(dim=(2, 3))[0]
            cam = F.relu((weights[:, None, None] * a[0]).sum(0))
            heat = F.interpolate(cam[None, None], size=(inp["height"],
                                                        inp["width"]),
                                 mode="bilinear", align_corners=False)[0, 0]
            gradcam.append({"layer": layer_id, "target_class": target,
                            "logit": float("%.9g" % logit.item()),
                            "weights": ref.rounded(weights),
                            "map": ref.rounded(cam),
                            "heat": ref.rounded(heat)})
            if not outputs:
                outputs = {i: ref.rounded(t) for i, t in zip(ids, acts)}

    case = {
        "description": "feature maps and Grad-CAM of one 12×10 colour image",
        "torch_version": torch.__version__,
        "model": MODEL,
        "input": {"seed": 1000, "scale": 1.0, "offset": 0.0},
        "params": params,
        "outputs": outputs,
        "gradcam": gradcam,
    }
    path = os.path.join(HERE, "inspect.json")
    with open(path, "w") as f:
        json.dump(case, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
