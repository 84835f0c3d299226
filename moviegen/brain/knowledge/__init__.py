"""The brain's memory: documents, vectors, the story graph and workflow records, per project."""
