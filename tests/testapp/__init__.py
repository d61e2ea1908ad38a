"""A test-only app exercising the shared listing machinery with real page models."""
