"""The course's structure: where each lesson starts, and the self-checks."""
