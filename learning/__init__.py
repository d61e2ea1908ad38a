"""Safety messages and learning materials (briefings, crib sheets, modules)."""
