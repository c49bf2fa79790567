"""Build steps of the project (the new layout; more modules move here with the structure issue)."""
