"""Workers: where heavy steps run. A local process pool by default."""
