#!/usr/bin/python3
"""Writes the PyTorch reference files that tests/test-layers.c reads.

Run from anywhere with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make-torch-reference.py

Each case is a small Convolve model description, an input batch and
parameters defined by a formula both sides compute exactly (so the files
stay small), and the values PyTorch computes for them: the logits, the
gradients of every parameter and of the input for a fixed d loss / d
logits, and the batch-norm running statistics after the forward pass.
Large gradients are stored sampled (every `stride`-th value) together
with the sum of the magnitudes of all their values.

"Same" padding is written out explicitly (the extra row or column at the
bottom or right), max pooling pads with -inf and average pooling with
zeros, which is what Convolve documents.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SAMPLES = 96


def formula(n, seed, scale, offset=0.0):
    """value_i = offset + scale * (2 u_i - 1), u_i = ((i·2654435761 +
    seed·40503 + 12345) mod 2^32) / 2^32, in double then rounded to float."""
    values = []
    for i in range(n):
        u = ((i * 2654435761 + seed * 40503 + 12345) % 2**32) / 2**32
        values.append(offset + scale * (2.0 * u - 1.0))
    return torch.tensor(values, dtype=torch.float64).float()


def pair(v):
    return list(v) if isinstance(v, list) else [v, v]


def same_pad(size, kernel, stride):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Layer(nn.Module):
    def __init__(self, spec, shape):
        super().__init__()
        self.spec = spec
        kind = spec["type"]
        c, h, w, flat = shape
        self.pad = None
        self.pad_value = 0.0
        if kind in ("conv2d", "max-pool", "avg-pool"):
            k = pair(spec.get("kernel", spec.get("size", 2)))
            default_stride = 1 if kind == "conv2d" else k
            s = pair(spec.get("stride", default_stride))
            if spec.get("padding", "valid") == "same":
                top, bottom, oh = same_pad(h, k[0], s[0])
                left, right, ow = same_pad(w, k[1], s[1])
                self.pad = (left, right, top, bottom)
            else:
                oh = (h - k[0]) // s[0] + 1
                ow = (w - k[1]) // s[1] + 1
            if kind == "conv2d":
                self.op = nn.Conv2d(c, spec["filters"], k, s)
                c = spec["filters"]
            elif kind == "max-pool":
                self.op = nn.MaxPool2d(k, s)
                self.pad_value = -math.inf
            else:
                self.op = nn.AvgPool2d(k, s)
            h, w = oh, ow
        elif kind == "global-avg-pool":
            self.op = nn.AdaptiveAvgPool2d(1)
            h = w = 1
        elif kind == "batch-norm":
            cls = nn.BatchNorm1d if flat else nn.BatchNorm2d
            self.op = cls(c, eps=spec.get("epsilon", 1e-5),
                          momentum=spec.get("momentum", 0.1))
        elif kind == "dropout":
            self.op = nn.Dropout(spec.get("rate", 0.5))
        elif kind == "flatten":
            self.op = nn.Flatten()
            c, h, w, flat = c * h * w, 1, 1, True
        elif kind == "dense":
            self.op = nn.Linear(c, spec["units"])
            c = spec["units"]
        elif kind == "relu":
            self.op = nn.ReLU()
        elif kind == "leaky-relu":
            self.op = nn.LeakyReLU(spec.get("slope", 0.01))
        elif kind == "sigmoid":
            self.op = nn.Sigmoid()
        elif kind == "tanh":
            self.op = nn.Tanh()
        elif kind == "softmax":
            self.op = nn.Softmax(dim=1)
        else:
            raise ValueError(kind)
        self.out_shape = (c, h, w, flat)

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad, value=self.pad_value)
        return self.op(x)


def build(model):
    inp = model["input"]
    shape = (inp["channels"], inp["height"], inp["width"], False)
    layers = []
    for spec in model["layers"]:
        layer = Layer(spec, shape)
        shape = layer.out_shape
        layers.append(layer)
    return nn.Sequential(*layers)


def named_tensors(net, model):
    """Convolve's names for every parameter and buffer, in its order."""
    out = []
    for layer, spec in zip(net, model["layers"]):
        op = layer.op
        if spec["type"] in ("conv2d", "dense"):
            out += [(spec["id"] + ".weight", op.weight),
                    (spec["id"] + ".bias", op.bias)]
        elif spec["type"] == "batch-norm":
            out += [(spec["id"] + ".weight", op.weight),
                    (spec["id"] + ".bias", op.bias),
                    (spec["id"] + ".running_mean", op.running_mean),
                    (spec["id"] + ".running_var", op.running_var)]
    return out


def rounded(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def sampled(t):
    flat = t.detach().reshape(-1)
    stride = max(1, flat.numel() // MAX_SAMPLES)
    return {"stride": stride, "size": flat.numel(),
            "sum_abs": float("%.9g" % flat.double().abs().sum().item()),
            "values": rounded(flat[::stride])}


def make_case(name, description, model, batch, training, param_formulas,
              input_scale=1.0, bce=False):
    torch.manual_seed(0)
    net = build(model)
    net.train(training)
    tensors = named_tensors(net, model)

    params = {}
    for seed, (tname, tensor) in enumerate(tensors, start=1):
        suffix = tname.split(".", 1)[1]
        if tname in param_formulas:
            scale, offset = param_formulas[tname]
        elif suffix == "weight":
            fan_in = tensor[0].numel()
            scale, offset = 1.0 / math.sqrt(fan_in), 0.0
        elif suffix == "running_var":
            scale, offset = 0.4, 1.0
        else:
            scale, offset = 0.2, 0.0
        with torch.no_grad():
            tensor.copy_(formula(tensor.numel(), seed, scale,
                                 offset).reshape(tensor.shape))
        params[tname] = {"seed": seed, "scale": scale, "offset": offset}

    inp = model["input"]
    x = formula(batch * inp["channels"] * inp["height"] * inp["width"],
                1000, input_scale)
    x = x.reshape(batch, inp["channels"], inp["height"], inp["width"])
    x.requires_grad_(True)

    logits = net(x).reshape(-1)
    if bce:
        labels = torch.tensor([float(i % 2) for i in range(batch)])
        logits.retain_grad()
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        logits_grad = logits.grad.clone()
    else:
        logits_grad = formula(batch, 2000, 1.0)
        (logits * logits_grad).sum().backward()

    expected = {
        "logits": rounded(logits),
        "input_grad": sampled(x.grad),
        "grads": {n: sampled(t.grad) for n, t in tensors
                  if t.grad is not None},
        "buffers": {n: rounded(t) for n, t in tensors
                    if n.endswith(".running_mean")
                    or n.endswith(".running_var")},
    }
    case = {
        "description": description,
        "torch_version": torch.__version__,
        "model": model,
        "batch": batch,
        "training": training,
        "input": {"seed": 1000, "scale": input_scale, "offset": 0.0},
        "params": params,
        "logits_grad": rounded(logits_grad),
        "expected": expected,
    }
    path = os.path.join(HERE, name + ".json")
    with open(path, "w") as f:
        json.dump(case, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path))


def model(width, height, channels, *layers):
    return {"input": {"width": width, "height": height, "channels": channels},
            "layers": list(layers)}


HEAD = [{"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 1}]


def main():
    torch.set_num_threads(1)

    make_case("conv-same-stride2",
              "conv2d 3×2 kernel, stride 2, same padding",
              model(6, 7, 2,
                    {"id": "conv", "type": "conv2d", "filters": 3,
                     "kernel": [3, 2], "stride": [2, 2], "padding": "same"},
                    *HEAD), 3, True, {})
    make_case("conv-valid-rect",
              "conv2d 2×3 kernel, stride [1, 2], valid padding",
              model(7, 5, 3,
                    {"id": "conv", "type": "conv2d", "filters": 2,
                     "kernel": [2, 3], "stride": [1, 2], "padding": "valid"},
                    *HEAD), 2, True, {})
    make_case("conv-same-even-kernel",
              "conv2d 4×4 kernel, stride 1, same padding (extra at the "
              "bottom and right)",
              model(5, 5, 1,
                    {"id": "conv", "type": "conv2d", "filters": 2,
                     "kernel": [4, 4], "stride": [1, 1], "padding": "same"},
                    *HEAD), 2, True, {})
    make_case("max-pool",
              "max-pool 2×2 and 3×3 stride 2 same",
              model(9, 8, 2,
                    {"id": "p1", "type": "max-pool", "size": [2, 2],
                     "stride": [2, 2], "padding": "valid"},
                    {"id": "c", "type": "conv2d", "filters": 2,
                     "kernel": [1, 1], "stride": [1, 1], "padding": "valid"},
                    {"id": "p2", "type": "max-pool", "size": [3, 3],
                     "stride": [2, 2], "padding": "same"},
                    *HEAD), 2, True, {})
    make_case("avg-pool",
              "avg-pool 3×3 stride 2 same (zeros counted) and 2×3 valid",
              model(9, 8, 2,
                    {"id": "p1", "type": "avg-pool", "size": [3, 3],
                     "stride": [2, 2], "padding": "same"},
                    {"id": "p2", "type": "avg-pool", "size": [2, 3],
                     "stride": [1, 1], "padding": "valid"},
                    *HEAD), 2, True, {})
    make_case("global-avg-pool",
              "conv2d then global-avg-pool",
              model(6, 5, 2,
                    {"id": "conv", "type": "conv2d", "filters": 4,
                     "kernel": [3, 3], "stride": [1, 1], "padding": "same"},
                    {"id": "gap", "type": "global-avg-pool"},
                    *HEAD), 3, True, {})
    make_case("batch-norm-train",
              "batch-norm 2-D and 1-D in training mode",
              model(5, 4, 2,
                    {"id": "conv", "type": "conv2d", "filters": 3,
                     "kernel": [3, 3], "stride": [1, 1], "padding": "same"},
                    {"id": "bn2", "type": "batch-norm", "momentum": 0.3,
                     "epsilon": 1e-3},
                    {"id": "flat", "type": "flatten"},
                    {"id": "fc", "type": "dense", "units": 6},
                    {"id": "bn1", "type": "batch-norm", "momentum": 0.1,
                     "epsilon": 1e-5},
                    {"id": "out", "type": "dense", "units": 1}),
              4, True, {})
    make_case("batch-norm-eval",
              "batch-norm 2-D and 1-D in inference mode, dropout inactive",
              model(5, 4, 2,
                    {"id": "conv", "type": "conv2d", "filters": 3,
                     "kernel": [3, 3], "stride": [1, 1], "padding": "same"},
                    {"id": "bn2", "type": "batch-norm", "momentum": 0.3,
                     "epsilon": 1e-3},
                    {"id": "drop", "type": "dropout", "rate": 0.5},
                    {"id": "flat", "type": "flatten"},
                    {"id": "fc", "type": "dense", "units": 6},
                    {"id": "bn1", "type": "batch-norm", "momentum": 0.1,
                     "epsilon": 1e-5},
                    {"id": "out", "type": "dense", "units": 1}),
              3, False, {})
    make_case("activations",
              "tanh, sigmoid, leaky-relu and relu",
              model(6, 6, 1,
                    {"id": "conv", "type": "conv2d", "filters": 3,
                     "kernel": [3, 3], "stride": [1, 1], "padding": "valid"},
                    {"id": "t", "type": "tanh"},
                    {"id": "c2", "type": "conv2d", "filters": 3,
                     "kernel": [2, 2], "stride": [1, 1], "padding": "valid"},
                    {"id": "s", "type": "sigmoid"},
                    {"id": "flat", "type": "flatten"},
                    {"id": "fc", "type": "dense", "units": 8},
                    {"id": "lr", "type": "leaky-relu", "slope": 0.2},
                    {"id": "fc2", "type": "dense", "units": 5},
                    {"id": "r", "type": "relu"},
                    {"id": "out", "type": "dense", "units": 1}),
              3, True, {"conv.bias": (0.5, 0.0), "fc.bias": (0.5, 0.0),
                        "fc2.bias": (0.5, 0.0)}, input_scale=2.0)
    make_case("softmax",
              "softmax over the channels of feature maps and over features",
              model(5, 4, 2,
                    {"id": "conv", "type": "conv2d", "filters": 3,
                     "kernel": [3, 3], "stride": [1, 1], "padding": "same"},
                    {"id": "sm2", "type": "softmax"},
                    {"id": "flat", "type": "flatten"},
                    {"id": "fc", "type": "dense", "units": 4},
                    {"id": "sm1", "type": "softmax"},
                    {"id": "out", "type": "dense", "units": 1}),
              3, True, {"conv.bias": (0.5, 0.0), "fc.bias": (0.5, 0.0)},
              input_scale=2.0)

    lenet = model(28, 28, 1,
                  {"id": "conv1", "type": "conv2d", "filters": 8,
                   "kernel": [5, 5], "stride": [1, 1], "padding": "same"},
                  {"id": "relu1", "type": "relu"},
                  {"id": "pool1", "type": "max-pool", "size": [2, 2],
                   "stride": [2, 2], "padding": "valid"},
                  {"id": "conv2", "type": "conv2d", "filters": 16,
                   "kernel": [5, 5], "stride": [1, 1], "padding": "same"},
                  {"id": "relu2", "type": "relu"},
                  {"id": "pool2", "type": "max-pool", "size": [2, 2],
                   "stride": [2, 2], "padding": "valid"},
                  {"id": "flatten", "type": "flatten"},
                  {"id": "fc1", "type": "dense", "units": 64},
                  {"id": "relu3", "type": "relu"},
                  {"id": "out", "type": "dense", "units": 1})
    make_case("lenet",
              "the default LeNet on a batch of 6, binary cross-entropy",
              lenet, 6, True, {"conv1.bias": (0.1, 0.0),
                               "conv2.bias": (0.1, 0.0),
                               "fc1.bias": (0.1, 0.0)}, bce=True)


if __name__ == "__main__":
    main()
