from lampdesk.cli import entry

entry()
