"""Streams: the line format between suite and host, reading a stream, and
where streams live in a results folder."""

from exportmatrix.streams.folder import (
    envs_dir,
    remove_leftover_partials,
    remove_stale,
    session_of,
    stream_of,
    stream_path,
    write_failed_environment,
)
from exportmatrix.streams.format import LINE_FORMAT, format_line, write_line
from exportmatrix.streams.reading import (
    Stream,
    StreamError,
    StreamProgress,
    StreamSummary,
    read_progress,
    read_stream,
    stream_summary,
)

__all__ = [
    "LINE_FORMAT",
    "Stream",
    "StreamError",
    "StreamProgress",
    "StreamSummary",
    "envs_dir",
    "format_line",
    "read_progress",
    "read_stream",
    "remove_leftover_partials",
    "remove_stale",
    "session_of",
    "stream_of",
    "stream_path",
    "stream_summary",
    "write_failed_environment",
    "write_line",
]
