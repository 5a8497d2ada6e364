"""Files in and out: survey files imported and exported, photos, spreadsheet cells."""
