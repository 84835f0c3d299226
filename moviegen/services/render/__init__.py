"""Rendering: shot list + screenplay -> voices, frames, score, mix, subtitles, MP4."""
