"""Text embedders: the offline static model distilled from MiniLM, and Jina over HTTP."""
