"""The model registry: register two versions, list, promote, pull, read lineage and diff."""

import tempfile
from pathlib import Path

from its_store import ModelRegistry, StorageService, load_settings

settings = load_settings()
name = "yolo11_traffic"

with StorageService(settings) as svc, tempfile.TemporaryDirectory() as tmp:
    registry = ModelRegistry(svc)                   # get_model_registry() for the process-wide one
    weights = Path(tmp, "yolo11_traffic.pt")

    weights.write_bytes(b"weights v1" * 1000)
    v1 = registry.register_model(
        weights, name, metrics={"accuracy": 0.91, "latency_p95_ms": 44.0},
        training_config={"epochs": 100, "batch_size": 32}, tags={"dataset": "traffic_v1"})
    weights.write_bytes(b"weights v2" * 1000)
    v2 = registry.register_model(
        weights, name, metrics={"accuracy": 0.94, "latency_p95_ms": 42.0},
        training_config={"epochs": 150, "batch_size": 32}, tags={"dataset": "traffic_v2"},
        parents=[f"{name}@{v1.version}"], datasets=["s3://its-frames/traffic_v2"])
    print("registered", v1.version, v2.version, v2.sha256, v2.uri)

    for model in registry.list_models(name, where=["accuracy>=0.9"], sort="accuracy", limit=10):
        print(f"{model.model_name}:{model.version} accuracy={model.metrics.get('accuracy')}"
              f" dataset={model.tags.get('dataset')} aliases={model.aliases}")

    promotion = registry.promote(name, v2.version, "production")
    print("production:", promotion.previous, "->", promotion.version)

    models = Path(tmp, "models")
    models.mkdir()
    pulled = registry.get_model(name, "production", download_path=models)   # every file checked by sha256
    print("pulled", pulled.version, "to", Path(pulled.path).relative_to(tmp), pulled.files, "file(s)")

    details = registry.show_model(name, "production")
    config = details.training_config                # free-form: JSON values, narrowed before use
    if isinstance(config, dict):
        epochs = config.get("epochs")
        if isinstance(epochs, int):
            print("trained for", epochs, "epochs")

    lineage = registry.lineage(name, v2.version)
    print("parents:", lineage.parents, "datasets:", lineage.datasets)
    diff = registry.diff(name, v1.version, name, v2.version)
    accuracy = diff.metrics.get("accuracy")
    print("accuracy delta:", accuracy.delta if accuracy else None, "same content:", diff.same_content)
