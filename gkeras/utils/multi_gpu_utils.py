"""multi_gpu_model: Keras 2's data-parallel replication, which gkeras does not do."""


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Keras 2 replicates `model` on several GPUs and merges their outputs; gkeras runs a model
    on one device (the current GPU through CuPy, or the CPU), so this raises a ValueError, as
    Keras 2 does on a machine without the GPUs asked for: train `model` itself."""
    raise ValueError(f"multi_gpu_model(gpus={gpus!r}): gkeras runs a model on one device (the "
                     "current GPU through CuPy, or the CPU) and does not replicate it over "
                     "several GPUs. Train and save the model itself (the template) instead.")
