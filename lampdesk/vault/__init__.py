"""The encrypted profile store: keys, the database and its migrations, the profile registry."""
