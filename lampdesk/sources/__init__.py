"""Sources a profile takes in: folders of notes and documents, chat exports, LoCoMo files."""
