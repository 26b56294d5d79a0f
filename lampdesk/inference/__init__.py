"""Local text generation with a GGUF model through llama.cpp."""
