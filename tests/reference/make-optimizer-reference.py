#!/usr/bin/python3
# Writes tests/reference/optimizer-<case>.json: a few steps of
# torch.optim.SGD / torch.optim.Adam (PyTorch 1.13, Debian's python3-torch)
# on a small fixed parameter set, with the gradient fed at every step, the
# parameters after it and the optimizer state after it.  test-optimizer.c
# feeds the same gradients to cnv_optimizer_step () and compares.
#
# The parameters are named like the trainable tensors of the tiny model the
# test builds (conv1, bn1, out), so the C side can find them by name.  The
# gradients come from an arbitrary smooth loss of the parameters, so each
# step's gradient depends on where the previous steps went.
#
# Run: /usr/bin/python3 tests/reference/make-optimizer-reference.py
# (from the repository root; the output is committed).

import json
import os

import torch

SHAPES = {
    "conv1.weight": [2, 1, 2, 2],
    "conv1.bias": [2],
    "bn1.weight": [2],
    "bn1.bias": [2],
    "out.weight": [1, 8],
    "out.bias": [1],
}
N_STEPS = 6

CASES = {
    "sgd": dict(kind="sgd", learning_rate=0.1, weight_decay=0.0,
                momentum=0.0, nesterov=False),
    "sgd-weight-decay": dict(kind="sgd", learning_rate=0.05, weight_decay=0.1,
                             momentum=0.0, nesterov=False),
    "sgd-momentum": dict(kind="sgd", learning_rate=0.05, weight_decay=0.0,
                         momentum=0.9, nesterov=False),
    "sgd-nesterov": dict(kind="sgd", learning_rate=0.05, weight_decay=0.01,
                         momentum=0.8, nesterov=True),
    "adam": dict(kind="adam", learning_rate=0.01, weight_decay=0.0,
                 beta1=0.9, beta2=0.999, epsilon=1e-8),
    "adam-weight-decay": dict(kind="adam", learning_rate=0.02,
                              weight_decay=0.05, beta1=0.8, beta2=0.99,
                              epsilon=1e-6),
}


def flat(tensor):
    # float32 values written as the doubles they are: exact round trip.
    return [float(x) for x in tensor.detach().reshape(-1).tolist()]


def make_params():
    gen = torch.Generator().manual_seed(20240611)
    params = {}
    for name, shape in SHAPES.items():
        params[name] = torch.nn.Parameter(
            torch.randn(shape, generator=gen, dtype=torch.float32))
    return params


def loss_of(params):
    # A smooth, non-separable function with different curvatures.
    total = torch.zeros((), dtype=torch.float32)
    for i, p in enumerate(params.values()):
        target = torch.linspace(-1.0, 1.0, p.numel()).reshape(p.shape)
        total = total + (i + 1) * 0.5 * ((p - target) ** 2).sum()
        total = total + 0.1 * torch.sin(3.0 * p).sum()
    return total


def run_case(config):
    params = make_params()
    initial = {name: flat(p) for name, p in params.items()}
    if config["kind"] == "sgd":
        opt = torch.optim.SGD(params.values(), lr=config["learning_rate"],
                              momentum=config["momentum"],
                              weight_decay=config["weight_decay"],
                              nesterov=config["nesterov"])
    else:
        opt = torch.optim.Adam(params.values(), lr=config["learning_rate"],
                               betas=(config["beta1"], config["beta2"]),
                               eps=config["epsilon"],
                               weight_decay=config["weight_decay"])
    steps = []
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss_of(params).backward()
        grads = {name: flat(p.grad) for name, p in params.items()}
        opt.step()
        state = {}
        for name, p in params.items():
            for slot, value in opt.state[p].items():
                if slot == "step" or value is None:
                    continue
                state["optimizer.%s.%s" % (name, slot)] = flat(value)
        steps.append({
            "grads": grads,
            "params": {name: flat(p) for name, p in params.items()},
            "state": state,
        })
    return initial, steps


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for case, partial in CASES.items():
        config = dict(kind=partial["kind"], learning_rate=0.001,
                      weight_decay=0.0, momentum=0.9, nesterov=False,
                      beta1=0.9, beta2=0.999, epsilon=1e-8)
        config.update(partial)
        initial, steps = run_case(config)
        doc = {
            "generator": "make-optimizer-reference.py, torch %s"
                         % torch.__version__,
            "config": config,
            "shapes": SHAPES,
            "initial": initial,
            "steps": steps,
        }
        path = os.path.join(here, "optimizer-%s.json" % case)
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
