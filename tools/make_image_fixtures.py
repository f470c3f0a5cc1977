"""Write tests/fixtures/image_reference.npz: tf_keras 2.21's ImageDataGenerator (scipy.ndimage
affine transforms, PIL brightness, fit/standardize, flow batches) on small images.

This script is NOT part of gkeras; gkeras and its tests never import TensorFlow, scipy or PIL.
It needs the reference environment described in tests/fixtures/README.md plus Pillow (for the
brightness cases), installed apart from the venv:

    /tmp/tfref/bin/pip install --target /tmp/pil_ref pillow
    PYTHONPATH=/tmp/pil_ref /tmp/tfref/bin/python tools/make_image_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file). Every key is `<group>/<case>/<array>`; `gen` (JSON) holds the
ImageDataGenerator arguments of the case.

- ``apply/<case>/{gen, params, x, y}``: y = gen.apply_transform(x, params) (params JSON).
- ``affine/<case>/{kwargs, x, y}``: y = apply_affine_transform(x, **kwargs) (kwargs JSON),
  for the axis orders, orders and integer inputs the generator does not use.
- ``random/<case>/{gen, shape, seeds, params}``: for each seed, gen.get_random_transform(shape,
  seed) as float64 [theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical,
  channel_shift_intensity, brightness] (0 for None, marked in the boolean ``none``); ``x``
  and ``y`` = random_transform(x, seed=seeds[0]).
- ``fit/<case>/{gen, x, mean, std, zca, batch, standardized}``: gen.fit(x) (seed 3 when
  augmenting), the statistics it computed (absent when None) and standardize(copy of batch).
- ``flow/<case>/{gen, kwargs, x, y, sample_weight, next_x, next_y, next_w, item_x, item_y}``:
  gen.flow(x, y, **kwargs) (kwargs JSON); next_* stack the first 2 * len(iterator) + 1 batches
  of next(it) (their sizes in ``next_sizes``); item_* stack it[i] for i in 0..len-1 of a
  fresh iterator, then once more after on_epoch_end.
"""
import json

import numpy as np
import PIL  # noqa: F401  (fail early: without it tf_keras refuses the brightness cases)

from fixture_writer import Arrays, keras, output_path, write

image = keras.preprocessing.image
out = Arrays()


def put(key, value, exact=False):
    """Float arrays as float32 unless `exact` (then float64)."""
    if exact:
        assert key not in out and key.count("/") == 2, key
        out[key] = np.asarray(value, dtype=np.float64)
    else:
        out.put(key, value)


rng = np.random.default_rng(20240611)
HWC = rng.uniform(0, 1, (7, 9, 3)).astype(np.float32)
CHW = rng.uniform(-1, 1, (3, 7, 9)).astype(np.float32)
BYTES = rng.integers(0, 256, (6, 5, 3)).astype(np.float32)

# ---------------------------------------------------------------------------------------------
# apply_transform
# ---------------------------------------------------------------------------------------------
transforms = {
    "rot": {"theta": 33.0},
    "shift": {"tx": 2.5, "ty": -1.7},
    "shear": {"shear": 21.0},
    "zoom": {"zx": 0.7, "zy": 1.35},
    "far": {"tx": 11.3, "ty": -23.6, "zx": 2.2, "zy": 1.9},
    "combined": {"theta": -47.0, "tx": 1.2, "ty": 0.6, "shear": 12.0, "zx": 1.1, "zy": 0.8,
                 "flip_horizontal": True, "flip_vertical": True,
                 "channel_shift_intensity": 0.3},
}
apply_cases = []
for mode in ["nearest", "constant", "reflect", "wrap"]:
    for name, params in transforms.items():
        apply_cases.append((f"{name}_{mode}", {"fill_mode": mode, "cval": -0.5}, params, HWC))
        apply_cases.append((f"{name}_{mode}_cf", {"fill_mode": mode, "cval": 0.25,
                                                  "data_format": "channels_first"}, params, CHW))
apply_cases += [
    ("flip_h", {}, {"flip_horizontal": True}, HWC),
    ("flip_v_cf", {"data_format": "channels_first"}, {"flip_vertical": True}, CHW),
    ("channel_shift", {}, {"channel_shift_intensity": -0.4}, HWC),
    ("rot90_square", {"fill_mode": "constant"}, {"theta": 90.0}, HWC[:7, :7]),
    ("brightness_dim", {}, {"brightness": 0.55}, BYTES),
    ("brightness_bright", {}, {"brightness": 1.6}, BYTES),
    ("brightness_rescaled", {}, {"brightness": 0.8}, CHW.transpose(1, 2, 0) * 300),
    ("brightness_gray", {}, {"brightness": 1.3}, BYTES[:, :, :1]),
    ("brightness_rgba", {}, {"brightness": 0.7}, np.concatenate([BYTES, BYTES[:, :, :1]], -1)),
    ("brightness_negative", {}, {"brightness": -0.3}, HWC - 0.5),
    ("brightness_shift", {"fill_mode": "reflect"}, {"theta": 15.0, "brightness": 1.2}, BYTES),
]
for case, gen_kwargs, params, x in apply_cases:
    gen = image.ImageDataGenerator(**gen_kwargs)
    put(f"apply/{case}/gen", json.dumps(gen_kwargs))
    put(f"apply/{case}/params", json.dumps(params))
    put(f"apply/{case}/x", x)
    put(f"apply/{case}/y", gen.apply_transform(x.copy(), params))

affine_cases = [
    ("order0_rot", {"theta": 28.0, "zx": 0.9, "fill_mode": "wrap", "order": 0}, HWC),
    ("rows_after_cols", {"theta": 20.0, "tx": 1.5, "row_axis": 1, "col_axis": 0,
                         "channel_axis": 2, "fill_mode": "reflect"}, HWC),
    ("uint8", {"theta": 40.0, "zy": 1.2, "fill_mode": "constant", "cval": 7},
     BYTES.astype(np.uint8)),
    ("one_row", {"theta": 10.0, "tx": 0.4, "fill_mode": "reflect"}, HWC[:1]),
    ("float64", {"shear": -30.0, "ty": 3.3, "fill_mode": "wrap"}, HWC.astype(np.float64)),
]
for case, kwargs, x in affine_cases:
    # Keras 2.2.5's axis defaults (tf_keras' are row_axis=1, col_axis=2, channel_axis=0)
    kwargs = {"row_axis": 0, "col_axis": 1, "channel_axis": 2, **kwargs}
    put(f"affine/{case}/kwargs", json.dumps(kwargs))
    out[f"affine/{case}/x"] = x
    out[f"affine/{case}/y"] = image.apply_affine_transform(x, **kwargs)

# ---------------------------------------------------------------------------------------------
# get_random_transform / random_transform
# ---------------------------------------------------------------------------------------------
KEYS = ["theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical",
        "channel_shift_intensity", "brightness"]
random_cases = [
    ("all_float", {"rotation_range": 40, "width_shift_range": 0.2, "height_shift_range": 0.3,
                   "shear_range": 15.0, "zoom_range": 0.25, "channel_shift_range": 0.1,
                   "horizontal_flip": True, "vertical_flip": True,
                   "brightness_range": [0.5, 1.5]}, (7, 9, 3)),
    ("int_shift", {"width_shift_range": 3, "height_shift_range": 2}, (7, 9, 3)),
    ("list_shift", {"width_shift_range": [-2, 0, 5], "height_shift_range": [0.1, 0.4]},
     (7, 9, 3)),
    ("pixel_float_shift", {"width_shift_range": 2.5, "height_shift_range": 1.0,
                           "zoom_range": [0.8, 1.1]}, (7, 9, 3)),
    ("flips_cf", {"horizontal_flip": True, "rotation_range": 10,
                  "data_format": "channels_first", "height_shift_range": 0.5}, (3, 7, 9)),
    ("nothing", {}, (7, 9, 3)),
]
for case, gen_kwargs, shape in random_cases:
    gen = image.ImageDataGenerator(**gen_kwargs)
    seeds = [0, 1, 7, 123, 2024]
    rows, nones = [], []
    for seed in seeds:
        params = gen.get_random_transform(shape, seed=seed)
        assert sorted(params) == sorted(KEYS)
        rows.append([0.0 if params[k] is None else float(params[k]) for k in KEYS])
        nones.append([params[k] is None for k in KEYS])
    put(f"random/{case}/gen", json.dumps(gen_kwargs))
    put(f"random/{case}/shape", np.array(shape))
    put(f"random/{case}/seeds", np.array(seeds))
    put(f"random/{case}/params", rows, exact=True)
    put(f"random/{case}/none", np.array(nones))
    x = HWC * 255 if shape == (7, 9, 3) else CHW
    put(f"random/{case}/x", x)
    put(f"random/{case}/y", gen.random_transform(x.copy(), seed=seeds[0]))

# ---------------------------------------------------------------------------------------------
# fit / standardize
# ---------------------------------------------------------------------------------------------
fit_x = rng.normal(0.4, 0.3, (10, 4, 5, 3)).astype(np.float32)
fit_cases = [
    ("featurewise", {"featurewise_center": True, "featurewise_std_normalization": True},
     fit_x, False),
    ("samplewise", {"samplewise_center": True, "samplewise_std_normalization": True},
     fit_x, False),
    ("rescale_center", {"featurewise_center": True, "rescale": 0.5}, fit_x, False),
    ("zca", {"zca_whitening": True, "zca_epsilon": 1e-2}, fit_x[:, :3, :3, :1], False),
    ("featurewise_cf", {"featurewise_center": True, "featurewise_std_normalization": True,
                        "data_format": "channels_first"}, fit_x.transpose(0, 3, 1, 2), False),
    ("augmented", {"featurewise_center": True, "rotation_range": 30, "horizontal_flip": True},
     fit_x[:4], True),
]
for case, gen_kwargs, x, augment in fit_cases:
    gen = image.ImageDataGenerator(**gen_kwargs)
    gen.fit(x, augment=augment, rounds=2, seed=3 if augment else None)
    put(f"fit/{case}/gen", json.dumps(gen_kwargs))
    put(f"fit/{case}/augment", np.array(augment))
    put(f"fit/{case}/x", x)
    for name, value in (("mean", gen.mean), ("std", gen.std), ("zca", gen.zca_whitening_matrix)):
        if value is not None:
            put(f"fit/{case}/{name}", value)
    batch = x[:3] * 1.5 - 0.2
    put(f"fit/{case}/batch", batch)
    put(f"fit/{case}/standardized", gen.standardize(batch.copy()))

# ---------------------------------------------------------------------------------------------
# flow
# ---------------------------------------------------------------------------------------------
flow_x = rng.uniform(0, 1, (11, 5, 6, 3)).astype(np.float32)
flow_y = np.arange(11) % 3
flow_w = rng.uniform(0.5, 2, 11).astype(np.float32)
flow_cases = [
    ("plain", {}, {"batch_size": 4, "shuffle": False}, True, False),
    ("shuffled_seed", {"rotation_range": 20, "horizontal_flip": True},
     {"batch_size": 3, "seed": 5}, True, True),
    ("no_y", {"width_shift_range": 0.2}, {"batch_size": 5, "seed": 11}, False, False),
    ("validation", {"validation_split": 0.3, "zoom_range": 0.2},
     {"batch_size": 2, "seed": 2, "subset": "validation"}, True, False),
    ("training", {"validation_split": 0.3, "zoom_range": 0.2},
     {"batch_size": 4, "seed": 2, "subset": "training"}, True, False),
]
for case, gen_kwargs, kwargs, with_y, with_w in flow_cases:
    gen = image.ImageDataGenerator(**gen_kwargs)
    y = flow_y if with_y else None
    w = flow_w if with_w else None
    put(f"flow/{case}/gen", json.dumps(gen_kwargs))
    put(f"flow/{case}/kwargs", json.dumps(kwargs))
    put(f"flow/{case}/x", flow_x)
    if with_y:
        put(f"flow/{case}/y", flow_y)
    if with_w:
        put(f"flow/{case}/sample_weight", flow_w)

    def parts(batch):
        return list(batch) if isinstance(batch, tuple) else [batch]

    it = gen.flow(flow_x, y, sample_weight=w, **kwargs)
    batches = [parts(next(it)) for _ in range(2 * len(it) + 1)]
    put(f"flow/{case}/next_sizes", np.array([len(b[0]) for b in batches]))
    for k, name in enumerate(["x", "y", "w"][:len(batches[0])]):
        put(f"flow/{case}/next_{name}", np.concatenate([b[k] for b in batches]))
    it = gen.flow(flow_x, y, sample_weight=w, **kwargs)
    items = [parts(it[i]) for i in range(len(it))]
    it.on_epoch_end()
    items += [parts(it[i]) for i in range(len(it))]
    for k, name in enumerate(["x", "y", "w"][:len(items[0])]):
        put(f"flow/{case}/item_{name}", np.concatenate([b[k] for b in items]))

write(output_path("image_reference.npz"), out)
