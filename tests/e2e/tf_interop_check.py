"""The TensorFlow side of test_tensorflow_interop.py, run by the venv's python (TensorFlow 2.21,
Keras 3, TensorBoard 2.21, safetensors), all in one process so that TensorFlow is imported once.

  tf_interop_check.py TASKS.json RESULTS.json

TASKS.json (written by the test) names the paths:
  {"images": "inputs.npy",                        float32 [N, 784], test image bytes / 255
   "savedmodels": [{"name", "path", "expected"}],  tf.saved_model.load + signatures["serving_default"]
   "tfsm_layers": [{"name", "path", "expected"}],  keras.layers.TFSMLayer(path, call_endpoint=...)
   "keras_snippet": {"code", "cwd", "expected"},   README's snippet, exec'd in cwd; then model(images)
   "event_dirs": [{"name", "path"}]}               EventAccumulator on each event file and the dir
("expected" is a .npy of `trainer reconstruct`'s outputs on the same images.)

RESULTS.json gets what was measured, one entry per task; a task that raised carries "error" (the
exception, its traceback also on stderr) and the others still run. The test makes the checks.
"""
import hashlib
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

SIZE_GUIDANCE = {"compressedHistograms": 0, "images": 0, "audio": 0, "scalars": 0, "histograms": 0, "tensors": 0}


def attempt(results, key, function, *args):
    try:
        results[key] = function(*args)
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        traceback.print_exc()
        results[key] = {"error": f"{type(e).__name__}: {e}"}


def max_abs(ours, expected_path):
    expected = np.load(expected_path)
    ours = np.asarray(ours)
    if ours.shape != expected.shape:
        return None, f"shape {ours.shape} vs trainer's {expected.shape}"
    return float(np.abs(ours.astype(np.float64) - expected.astype(np.float64)).max()), None


def graph_facts(path):
    """What saved_model.pb holds, read with TensorFlow's protos: tags, signature, the op chain from
    `reconstruction` back to the placeholder."""
    from tensorflow.core.protobuf import saved_model_pb2
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved.ParseFromString(f.read())
    facts = {"meta_graphs": len(saved.meta_graphs)}
    if not saved.meta_graphs:
        return facts
    meta = saved.meta_graphs[0]
    facts["tags"] = list(meta.meta_info_def.tags)
    facts["signatures"] = sorted(meta.signature_def)
    signature = meta.signature_def.get("serving_default")
    if signature is not None:
        def spec(info):
            return {"name": info.name, "dtype": int(info.dtype),
                    "shape": [d.size for d in info.tensor_shape.dim] if not info.tensor_shape.unknown_rank else None}
        facts["inputs"] = {k: spec(v) for k, v in signature.inputs.items()}
        facts["outputs"] = {k: spec(v) for k, v in signature.outputs.items()}
        facts["method_name"] = signature.method_name
    nodes = {n.name: n for n in meta.graph_def.node}
    facts["ops"] = sorted({n.op for n in meta.graph_def.node})
    chain, operands, name, seen = [], [], "reconstruction", set()
    while name in nodes and name not in seen:
        seen.add(name)
        node = nodes[name]
        entry = {"op": node.op}
        if node.op == "MatMul":
            entry["transpose_a"] = node.attr["transpose_a"].b if "transpose_a" in node.attr else False
            entry["transpose_b"] = node.attr["transpose_b"].b if "transpose_b" in node.attr else False
        if node.op == "Placeholder":
            entry["name"] = node.name
            entry["dtype"] = int(node.attr["dtype"].type)
            entry["shape"] = [d.size for d in node.attr["shape"].shape.dim]
        chain.append(entry)
        for extra in node.input[1:]:
            source = nodes.get(extra.split(":")[0].lstrip("^"))
            operands.append(source.op if source is not None else f"missing {extra}")
        name = node.input[0].split(":")[0] if node.input else None
    facts["chain"] = list(reversed(chain))
    facts["operand_ops"] = sorted(set(operands))
    return facts


def run_savedmodel(task, images):
    import tensorflow as tf
    loaded = tf.saved_model.load(task["path"])
    signature = loaded.signatures["serving_default"]
    _, inputs = signature.structured_input_signature
    outputs = signature(images=tf.constant(images))
    result = {"signatures": sorted(loaded.signatures.keys()),
              "input_spec": {k: [str(v.dtype.name), list(v.shape.as_list())] for k, v in inputs.items()},
              "output_keys": sorted(outputs)}
    reconstruction = outputs["reconstruction"]
    result["output_dtype"] = reconstruction.dtype.name
    result["output_shape"] = list(reconstruction.shape)
    values = reconstruction.numpy()
    result["min"], result["max"] = float(values.min()), float(values.max())
    result["max_abs_diff"], result["mismatch"] = max_abs(values, task["expected"])
    result["graph"] = graph_facts(task["path"])
    return result


def run_tfsm_layer(task, images):
    import keras
    layer = keras.layers.TFSMLayer(task["path"], call_endpoint="serving_default")
    outputs = layer(images)
    result = {"keras_version": keras.__version__, "output_type": type(outputs).__name__}
    if isinstance(outputs, dict):
        result["output_keys"] = sorted(outputs)
        outputs = outputs["reconstruction"]
    result["max_abs_diff"], result["mismatch"] = max_abs(keras.ops.convert_to_numpy(outputs), task["expected"])
    return result


def run_keras_snippet(task, images):
    """README's snippet as a user runs it: a fresh namespace, from the directory holding out/."""
    import keras
    namespace = {"__name__": "__main__"}
    before = os.getcwd()
    os.chdir(task["cwd"])
    try:
        exec(compile(task["code"], "README.md <!-- keras-snippet -->", "exec"), namespace)
    finally:
        os.chdir(before)
    model = namespace.get("model")
    result = {"model_type": type(model).__name__, "keras_version": keras.__version__}
    if model is None:
        result["error"] = "the snippet defines no `model`"
        return result
    result["layers"] = [[type(layer).__name__, getattr(layer, "units", None),
                         getattr(getattr(layer, "activation", None), "__name__", None)] for layer in model.layers]
    result["max_abs_diff"], result["mismatch"] = max_abs(keras.ops.convert_to_numpy(model(images)), task["expected"])
    return result


def accumulate(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(path, size_guidance=SIZE_GUIDANCE)
    accumulator.Reload()
    tags = accumulator.Tags()
    found = {"tags": {k: sorted(v) for k, v in tags.items() if isinstance(v, list)}, "scalars": {}, "images": {},
             "tensors": {}, "plugins": {}}
    for tag in tags["scalars"]:
        found["scalars"][tag] = [[e.step, e.value] for e in accumulator.Scalars(tag)]
    for tag in tags["images"]:
        found["images"][tag] = [[e.step, hashlib.sha256(e.encoded_image_string).hexdigest(), e.width, e.height,
                                 e.encoded_image_string[:8].hex()] for e in accumulator.Images(tag)]
    for tag in tags["tensors"]:
        found["plugins"][tag] = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        events = []
        for e in accumulator.Tensors(tag):
            strings = list(e.tensor_proto.string_val)
            events.append([e.step, strings[0].decode("utf-8", "replace") if strings else None])
        found["tensors"][tag] = events
    return found


def read_event_dir(task):
    """Each event file on its own, in name order (to see which file holds what), then the directory."""
    files = sorted(name for name in os.listdir(task["path"]) if "tfevents" in name)
    return {"files": [dict(accumulate(os.path.join(task["path"], name)), name=name) for name in files],
            "directory": accumulate(task["path"])}


def main():
    with open(sys.argv[1]) as f:
        tasks = json.load(f)
    images = np.load(tasks["images"]).astype(np.float32)
    results = {"python": sys.version.split()[0]}
    try:
        import tensorflow as tf
        import tensorboard
        results["versions"] = {"tensorflow": tf.__version__, "tensorboard": tensorboard.__version__}
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        results["versions"] = {"error": f"{type(e).__name__}: {e}"}
    for task in tasks.get("savedmodels", []):
        attempt(results, f"savedmodel:{task['name']}", run_savedmodel, task, images)
    for task in tasks.get("tfsm_layers", []):
        attempt(results, f"tfsm_layer:{task['name']}", run_tfsm_layer, task, images)
    if tasks.get("keras_snippet"):
        attempt(results, "keras_snippet", run_keras_snippet, tasks["keras_snippet"], images)
    for task in tasks.get("event_dirs", []):
        attempt(results, f"events:{task['name']}", read_event_dir, task)
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
