"""The memory loop: facts learned from conversations, their review, and their weights."""
