#!/usr/bin/python3
"""PyTorch's side of bench/run-bench: the twins of bench/lenet.json and
bench/small-vgg.json, timed the way bench/cnv-bench.c times Convolve.

Commands (standard library plus torch; no PIL, no torchvision):

  torch_bench.py export --model lenet|small-vgg [--limit N] OUTDIR
      writes Fashion-MNIST sneakers (7) and ankle boots (9) of the training
      split as PNGs into OUTDIR/sneaker and OUTDIR/ankle-boot: 28x28 grey
      for lenet, 64x64 RGB (enlarged, tinted) for small-vgg; and the same
      pixels raw in OUTDIR/pixels.u8 and OUTDIR/labels.u8, which is what
      the commands below read (the PNGs are for Convolve).
  torch_bench.py train --model M --data OUTDIR --batch B --threads T
                       [--epochs E]
      train_img_s: the training loop only (batch gather, forward, loss,
      backward, Adam step), after one warm-up batch; then infer_img_s:
      eval mode, no_grad, batches of B over all images, median of 5 passes.
  torch_bench.py single --model M --threads T [--repeat R]
      single_ms: one image forward with every layer's output kept (forward
      hooks that clone them), median of R.
  torch_bench.py checkpoint --model M --path FILE [--repeat R]
      save_ms: torch.save of the model's and Adam's state dicts (after one
      step) to a temporary file, flushed, fsync'ed and renamed over FILE
      (atomic and durable, as Convolve saves); plain_save_ms: torch.save
      alone; open_ms: torch.load of FILE, warm; file_bytes.
  torch_bench.py rss --data OUTDIR [--epochs E]
      trains lenet on every image at batch 32 with 1 thread, for
      /usr/bin/time to measure the peak memory of a whole run.
"""

import argparse
import gzip
import os
import struct
import sys
import time
import zlib

import torch

IDX_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = {7: "sneaker", 9: "ankle-boot"}
SHAPES = {"lenet": (1, 28, 28), "small-vgg": (3, 64, 64)}


def lenet():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 1))


def small_vgg():
    nn = torch.nn
    layers = []
    channels = 3
    for width in (32, 64, 128):
        for _ in range(2):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(128 * 8 * 8, 128), nn.ReLU(),
               nn.Dropout(0.5), nn.Linear(128, 1)]
    return nn.Sequential(*layers)


MODELS = {"lenet": lenet, "small-vgg": small_vgg}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = struct.unpack(">I", raw[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim:]


def png_chunk(kind, data):
    body = kind + data
    return (struct.pack(">I", len(data)) + body
            + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))


def write_png(path, pixels, width, height, channels):
    stride = width * channels
    rows = b"".join(b"\0" + pixels[y * stride:(y + 1) * stride]
                    for y in range(height))
    colour = 0 if channels == 1 else 2
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                               8, colour, 0, 0, 0)))
        f.write(png_chunk(b"IDAT", zlib.compress(rows, 6)))
        f.write(png_chunk(b"IEND", b""))


def enlarge_rgb(grey, label):
    """28x28 grey to 64x64 RGB, nearest neighbour, tinted by class."""
    tint = (1.0, 0.8, 0.6) if label == 7 else (0.6, 0.8, 1.0)
    out = bytearray(64 * 64 * 3)
    for y in range(64):
        row = grey[(y * 28 // 64) * 28:(y * 28 // 64 + 1) * 28]
        for x in range(64):
            v = row[x * 28 // 64]
            base = (y * 64 + x) * 3
            out[base] = int(v * tint[0])
            out[base + 1] = int(v * tint[1])
            out[base + 2] = int(v * tint[2])
    return bytes(out)


def cmd_export(args):
    dims, images = read_idx(os.path.join(args.idx,
                                         "train-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(args.idx, "train-labels-idx1-ubyte.gz"))
    size = dims[1] * dims[2]
    channels, height, width = SHAPES[args.model]
    names = sorted(CLASSES.values())
    for name in names:
        os.makedirs(os.path.join(args.outdir, name), exist_ok=True)
    taken = {c: 0 for c in CLASSES}
    pixels, classes = [], []
    for i, label in enumerate(labels):
        if label not in CLASSES or (args.limit and taken[label] >= args.limit):
            continue
        taken[label] += 1
        grey = images[i * size:(i + 1) * size]
        data = grey if channels == 1 else enlarge_rgb(grey, label)
        write_png(os.path.join(args.outdir, CLASSES[label],
                               "train-%05d.png" % i),
                  data, width, height, channels)
        pixels.append(data)
        classes.append(names.index(CLASSES[label]))
    with open(os.path.join(args.outdir, "pixels.u8"), "wb") as f:
        f.write(b"".join(pixels))
    with open(os.path.join(args.outdir, "labels.u8"), "wb") as f:
        f.write(bytes(classes))
    print("wrote %d images to %s" % (len(classes), args.outdir),
          file=sys.stderr)


def load_raw(folder, model):
    """x [N, C, H, W] float in [0, 1], y [N]: the exported images, HWC
    bytes turned to NCHW floats once, as Convolve's dataset keeps bytes
    and converts each batch."""
    channels, height, width = SHAPES[model]
    with open(os.path.join(folder, "pixels.u8"), "rb") as f:
        raw = bytearray(f.read())
    with open(os.path.join(folder, "labels.u8"), "rb") as f:
        labels = bytearray(f.read())
    n = len(labels)
    x = torch.frombuffer(raw, dtype=torch.uint8)
    x = x.reshape(n, height, width, channels).permute(0, 3, 1, 2)
    x = x.float().div(255.0).contiguous()
    y = torch.frombuffer(labels, dtype=torch.uint8).float()
    return x, y


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def cmd_train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x, y = load_raw(args.data, args.model)
    model = MODELS[args.model]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n = x.shape[0]
    batch = args.batch

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb).squeeze(1), yb)
        loss.backward()
        opt.step()

    model.train()
    step(x[:batch], y[:batch])   # warm-up, not timed
    images, seconds = 0, 0.0
    for _ in range(args.epochs):
        order = torch.randperm(n)
        start = time.perf_counter()
        for first in range(0, n, batch):
            idx = order[first:first + batch]
            step(x[idx], y[idx])
        seconds += time.perf_counter() - start
        images += n
    print("train_img_s %.1f" % (images / seconds))

    model.eval()
    speeds = []
    with torch.no_grad():
        for rep in range(6):
            start = time.perf_counter()
            for first in range(0, n, batch):
                model(x[first:first + batch])
            if rep > 0:
                speeds.append(n / (time.perf_counter() - start))
    print("infer_img_s %.1f" % median(speeds))


def cmd_single(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = MODELS[args.model]().eval()
    kept = []
    for layer in model:
        layer.register_forward_hook(
            lambda module, inputs, output: kept.append(output.clone()))
    image = torch.rand(1, *SHAPES[args.model])
    times = []
    with torch.no_grad():
        for rep in range(args.repeat + 1):
            kept.clear()
            start = time.perf_counter()
            model(image)
            if rep > 0:
                times.append(time.perf_counter() - start)
    assert len(kept) == len(model)
    print("single_ms %.4f" % (1000.0 * median(times)))


def cmd_checkpoint(args):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = MODELS[args.model]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = torch.rand_like(p) - 0.5
    opt.step()
    state = {"model": model.state_dict(), "optimizer": opt.state_dict()}
    folder = os.path.dirname(os.path.abspath(args.path))
    saves, plain, opens = [], [], []
    # Saves first, then loads, each loop with a warm-up, as cnv-bench
    # times Convolve's (see cmd_checkpoint in cnv-bench.c for why).
    for rep in range(args.repeat + 1):
        tmp = os.path.join(folder, ".torch-bench.tmp")
        start = time.perf_counter()
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, args.path)
        saved = time.perf_counter() - start

        start = time.perf_counter()
        torch.save(state, tmp)
        plain_saved = time.perf_counter() - start
        os.remove(tmp)
        if rep > 0:
            saves.append(saved)
            plain.append(plain_saved)
    for rep in range(args.repeat + 1):
        start = time.perf_counter()
        torch.load(args.path)
        opened = time.perf_counter() - start
        if rep > 0:
            opens.append(opened)
        else:
            first_open = opened
    print("file_bytes %d" % os.path.getsize(args.path))
    print("save_ms %.3f" % (1000.0 * median(saves)))
    print("plain_save_ms %.3f" % (1000.0 * median(plain)))
    print("open_ms %.3f" % (1000.0 * median(opens)))
    print("first_open_ms %.3f" % (1000.0 * first_open))


def cmd_rss(args):
    args.model, args.batch, args.threads = "lenet", 32, 1
    cmd_train(args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export")
    p.add_argument("--idx", default=IDX_DIR)
    p.add_argument("--model", choices=MODELS, default="lenet")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("outdir")
    p = sub.add_parser("train")
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p = sub.add_parser("single")
    p.add_argument("--model", choices=MODELS, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=200)
    p = sub.add_parser("checkpoint")
    p.add_argument("--model", choices=MODELS, default="small-vgg")
    p.add_argument("--path", required=True)
    p.add_argument("--repeat", type=int, default=10)
    p = sub.add_parser("rss")
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    {"export": cmd_export, "train": cmd_train, "single": cmd_single,
     "checkpoint": cmd_checkpoint, "rss": cmd_rss}[args.command](args)


if __name__ == "__main__":
    main()
