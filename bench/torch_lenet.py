#!/usr/bin/python3
"""PyTorch twin of Convolve's default LeNet, for training-speed comparison.

The network is the one cnv_model_spec_new_default () describes, layer for
layer (53,729 parameters):

  conv1 8×5×5 same → relu → max-pool 2 → conv2 16×5×5 same → relu →
  max-pool 2 → flatten (784) → dense 64 → relu → dense 1 (logit)

trained with binary cross-entropy on the logit and Adam (lr 0.001), on the
same images Convolve trains on: values scaled by 1/255, classes in sorted
folder-name order (ankle-boot = 0, sneaker = 1).

Two commands, standard library plus torch only (no PIL, no torchvision):

  torch_lenet.py export [--idx DIR] [--limit N] OUTDIR
      writes Fashion-MNIST sneaker (7) and ankle-boot (9) training images
      as 8-bit grey PNGs into OUTDIR/sneaker and OUTDIR/ankle-boot.
  torch_lenet.py train --data DIR [--epochs N] [--batch-sizes 32,64]
                       [--threads 1,2]
      trains on a folder of such PNGs (or, with --idx DIR --limit N,
      straight from the IDX files) and prints one line per setting:
      "torch batch 32 threads 1: 1234 img/s".

img/s counts training images per second of the training loop only
(forward, loss, backward, optimizer step), after one warm-up batch; the
images are decoded into one tensor beforehand, as Convolve does.
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


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim:]


def idx_images(idx_dir, limit):
    """(pixels bytes of 784, class name) for the first `limit` images of
    each class, in file order."""
    dims, images = read_idx(os.path.join(idx_dir,
                                         "train-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(idx_dir, "train-labels-idx1-ubyte.gz"))
    size = dims[1] * dims[2]
    taken = {c: 0 for c in CLASSES}
    for i, label in enumerate(labels):
        if label in CLASSES and taken[label] < limit:
            taken[label] += 1
            yield i, images[i * size:(i + 1) * size], CLASSES[label]


def png_chunk(kind, data):
    body = kind + data
    return (struct.pack(">I", len(data)) + body
            + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))


def write_grey_png(path, pixels, width, height):
    rows = b"".join(b"\0" + pixels[y * width:(y + 1) * width]
                    for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                               8, 0, 0, 0, 0)))
        f.write(png_chunk(b"IDAT", zlib.compress(rows, 9)))
        f.write(png_chunk(b"IEND", b""))


def read_grey_png(path):
    """Decodes an 8-bit grey, non-interlaced PNG (what export and
    fashion-mnist-folders write)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        data = raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = \
                struct.unpack(">IIBBBBB", data)
            if depth != 8 or colour != 0 or interlace != 0:
                raise ValueError("%s: only 8-bit grey PNGs are read" % path)
        elif kind == b"IDAT":
            idat += data
    rows = zlib.decompress(idat)
    out = bytearray(width * height)
    prev = bytearray(width)
    for y in range(height):
        filt = rows[y * (width + 1)]
        line = bytearray(rows[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):
            a = line[x - 1] if x > 0 else 0
            b = prev[x]
            c = prev[x - 1] if x > 0 else 0
            if filt == 1:
                line[x] = (line[x] + a) & 0xFF
            elif filt == 2:
                line[x] = (line[x] + b) & 0xFF
            elif filt == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        out[y * width:(y + 1) * width] = line
        prev = line
    return bytes(out), width, height


def load_folder(folder):
    names = sorted(n for n in os.listdir(folder)
                   if os.path.isdir(os.path.join(folder, n)))
    if len(names) != 2:
        sys.exit("%s: expected two class folders, found %d"
                 % (folder, len(names)))
    pixels, labels = [], []
    for index, name in enumerate(names):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            if not file.endswith(".png"):
                continue
            data, width, height = read_grey_png(os.path.join(folder, name,
                                                             file))
            if (width, height) != (28, 28):
                sys.exit("%s: %d×%d, expected 28×28" % (file, width, height))
            pixels.append(data)
            labels.append(index)
    return names, pixels, labels


def load_idx(idx_dir, limit):
    names = sorted(CLASSES.values())
    pixels, labels = [], []
    for _, data, name in idx_images(idx_dir, limit):
        pixels.append(data)
        labels.append(names.index(name))
    return names, pixels, labels


def lenet():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 1))


def train_speed(x, y, batch_size, threads, epochs, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = lenet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    n = x.shape[0]

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb).squeeze(1), yb)
        loss.backward()
        opt.step()
        return loss

    step(x[:batch_size], y[:batch_size])   # warm-up, not timed
    images, seconds, loss = 0, 0.0, None
    for _ in range(epochs):
        order = torch.randperm(n)
        start = time.perf_counter()
        for first in range(0, n, batch_size):
            idx = order[first:first + batch_size]
            loss = step(x[idx], y[idx])
        seconds += time.perf_counter() - start
        images += n
    return images / seconds, float(loss)


def cmd_export(args):
    for name in CLASSES.values():
        os.makedirs(os.path.join(args.outdir, name), exist_ok=True)
    count = 0
    for i, data, name in idx_images(args.idx, args.limit):
        write_grey_png(os.path.join(args.outdir, name, "train-%05d.png" % i),
                       data, 28, 28)
        count += 1
    print("wrote %d images to %s" % (count, args.outdir), file=sys.stderr)


def cmd_train(args):
    if args.data:
        names, pixels, labels = load_folder(args.data)
    else:
        names, pixels, labels = load_idx(args.idx, args.limit)
    x = torch.frombuffer(bytearray(b"".join(pixels)), dtype=torch.uint8)
    x = x.reshape(len(pixels), 1, 28, 28).float() / 255.0
    y = torch.tensor(labels, dtype=torch.float32)
    print("torch %s: %d images, classes %s" % (torch.__version__, len(labels),
                                               ", ".join(names)),
          file=sys.stderr)
    for threads in [int(t) for t in args.threads.split(",")]:
        for batch in [int(b) for b in args.batch_sizes.split(",")]:
            speed, loss = train_speed(x, y, batch, threads, args.epochs,
                                      args.seed)
            print("torch batch %d threads %d: %.0f img/s (last loss %.4f)"
                  % (batch, threads, speed, loss))
            sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write the images as PNGs")
    export.add_argument("--idx", default=IDX_DIR)
    export.add_argument("--limit", type=int, default=1000)
    export.add_argument("outdir")
    train = sub.add_parser("train", help="measure training speed")
    train.add_argument("--data", help="folder of two class folders of PNGs")
    train.add_argument("--idx", default=IDX_DIR)
    train.add_argument("--limit", type=int, default=1000)
    train.add_argument("--epochs", type=int, default=1)
    train.add_argument("--batch-sizes", default="32,64")
    train.add_argument("--threads", default="1,2")
    train.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "export":
        cmd_export(args)
    else:
        cmd_train(args)


if __name__ == "__main__":
    main()
