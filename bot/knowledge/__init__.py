"""The knowledge base: its file format, the search index and the live, reloadable copy."""
