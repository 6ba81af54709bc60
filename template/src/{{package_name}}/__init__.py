"""The capstone's package: one module per pipeline stage, plus the pieces they share (see README.md)."""
