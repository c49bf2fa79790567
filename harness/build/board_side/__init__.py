"""Code that runs on the board, not on the host (each module says where it goes)."""
