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


class CompressionType(str, Enum):
    """`upload --compress`: a codec, `none`, or `auto` (zstd unless the content is already compressed)."""

    AUTO = "auto"
    NONE = "none"
    GZIP = "gzip"
    LZ4 = "lz4"
    ZSTD = "zstd"


class SseMode(str, Enum):
    """`upload --sse`: no server-side encryption, SSE-S3 (server-managed key) or SSE-C (your key)."""

    NONE = "none"
    S3 = "s3"
    C = "c"
