"""Runs the PyTorch reference script unchanged but with Adam at another learning rate (the script fixes 1e-3).

Usage: python torch_at_lr.py LEARNING_RATE path/to/torch_vae.py [its arguments...]
The benchmark runs the reference at 1e-3 (the example's rate) and at 3e-3 (its best rate here), and holds our
figures against the better of the two.
"""
import runpy
import sys

import torch

rate = float(sys.argv[1])
script = sys.argv[2]
adam = torch.optim.Adam


def adam_at_rate(params, lr=None, **kwargs):
    return adam(params, lr=rate, **kwargs)


torch.optim.Adam = adam_at_rate
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
