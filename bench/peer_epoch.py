"""One peer framework training the seed model (facts.md: 784-128-128-128-784, ReLU everywhere, MSE,
Adam lr 1e-2 eps 1e-7, batch 256, Fashion-MNIST's 60000 training images, shuffled each epoch), as a
user of that framework would write it; prints one JSON line with the seconds of each epoch.
   python peer_epoch.py FRAMEWORK DATA_DIR THREADS EPOCHS [BATCH]
FRAMEWORK: keras (the backend from KERAS_BACKEND: jax or tensorflow), torch, torch-compile.
THREADS is enforced by bench/peers.py from outside too (taskset, the frameworks' variables); here
each framework's own setting is made as well, before any work."""
import gzip
import json
import os
import sys
import time

framework, data_dir, threads, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 256
with gzip.open(os.path.join(data_dir, "fashion-mnist", "train-images-idx3-ubyte.gz")) as f:
    raw = f.read()[16:]


def keras_run():
    backend = os.environ.get("KERAS_BACKEND", "jax")
    if backend == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    import numpy as np
    x = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 784).astype("float32") / 255.0
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.Input((784,))] + [keras.layers.Dense(128, activation="relu") for _ in range(3)]
                             + [keras.layers.Dense(784, activation="relu")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-7), loss="mse")

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)
            self.loss = float(logs["loss"])

    times = EpochTimes()
    model.fit(x, x, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[times])
    version = f"keras {keras.__version__} on {backend} "
    if backend == "jax":
        import jax
        version += jax.__version__
    else:
        import tensorflow as tf
        version += tf.__version__
    return times.seconds, times.loss, version


def torch_run(compiled):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    images = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, 784)
    torch.manual_seed(42)
    relu = torch.nn.ReLU
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), relu(), torch.nn.Linear(128, 128), relu(),
                                torch.nn.Linear(128, 128), relu(), torch.nn.Linear(128, 784), relu())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7)

    def step(x):
        loss = ((model(x) - x) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        step = torch.compile(step)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(images.shape[0])
        for begin in range(0, images.shape[0], batch):
            loss = step(images[order[begin:begin + batch]].float() / 255.0)
        seconds.append(time.perf_counter() - start)
    return seconds, loss.item(), f"torch {torch.__version__}" + (" compile" if compiled else " eager")


if framework == "keras":
    seconds, loss, version = keras_run()
elif framework in ("torch", "torch-compile"):
    seconds, loss, version = torch_run(framework == "torch-compile")
else:
    sys.exit(f"peer_epoch.py: unknown framework {framework!r}")
print(json.dumps({"framework": version, "threads": threads, "seconds": seconds, "loss": loss}))
