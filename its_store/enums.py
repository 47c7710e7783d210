"""Enums the CLI offers as choices; kept free of pydantic so that --help and completion stay fast."""

from __future__ import annotations

from enum import Enum


class ObjectType(str, Enum):
    """What an object is; stored in its metadata (x-amz-meta-its-type) and used to pick a default bucket."""

    VIDEO_FRAME = "video_frame"
    MODEL_ARTIFACT = "model_artifact"
    LOG = "log"
    DATASET = "dataset"
    METADATA = "metadata"
    OTHER = "other"


class PresignMethod(str, Enum):
    GET = "GET"
    PUT = "PUT"
