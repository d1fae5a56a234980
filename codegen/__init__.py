"""unifold's generator: the unified spec and the field-support matrices in, typed code out."""
