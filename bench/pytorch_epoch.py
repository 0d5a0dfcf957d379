"""PyTorch side of the epoch benchmarks: the seed model, batch 256 (or BATCH), Adam, on the same Fashion-MNIST
training set as the trainer; prints one JSON line with the per-epoch seconds.
   python3 pytorch_epoch.py DATA_DIR THREADS EPOCHS [cpu|cuda] [BATCH]
On cuda the images live on the GPU as uint8, as the trainer keeps them; THREADS 0 keeps torch's default."""
import gzip
import json
import os
import sys
import time

import torch

data_dir, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
device = sys.argv[4] if len(sys.argv) > 4 else "cpu"
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 256
if threads > 0:
    torch.set_num_threads(threads)
with gzip.open(os.path.join(data_dir, "fashion-mnist", "train-images-idx3-ubyte.gz")) as f:
    pixels = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)[16:].reshape(-1, 784)
images = pixels.to(device)

torch.manual_seed(42)
relu = torch.nn.ReLU
model = torch.nn.Sequential(torch.nn.Linear(784, 128), relu(), torch.nn.Linear(128, 128), relu(),
                            torch.nn.Linear(128, 128), relu(), torch.nn.Linear(128, 784), relu()).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7)
seconds = []
for epoch in range(epochs):
    start = time.perf_counter()
    order = torch.randperm(images.shape[0], device=device)
    for begin in range(0, images.shape[0], batch):
        x = images[order[begin:begin + batch]].float() / 255.0  # per-batch conversion, as the trainer does
        loss = ((model(x) - x) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds.append(time.perf_counter() - start)
print(json.dumps({"threads": torch.get_num_threads(), "seconds": seconds, "loss": loss.item(),
                  "torch": torch.__version__}))
