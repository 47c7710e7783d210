"""The names of the metadata codec/compression writes beside a stored object, in one place that imports nothing
(s3 and transfer read them on hot paths without loading pydantic through core/models, which re-exports them)."""

META_CODEC = "its-codec"
META_ORIGINAL_SIZE = "its-original-size"
META_SHA256 = "its-sha256"
# x-amz-meta-its-codec as sent and as answered (lower-case): its its-sha256 is not of the bytes stored
CODEC_HEADER = "x-amz-meta-" + META_CODEC
