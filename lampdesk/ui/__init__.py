"""The desktop window: thin, its thread only paints; all work runs in workers."""
