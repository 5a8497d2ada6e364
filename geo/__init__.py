"""Data model and spatial logic of Yishiting: everything that knows SQL."""
