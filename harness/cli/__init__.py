"""Command-line tools behind the invoke tasks."""
