"""Instructor tools: make the learner notebooks from solutions/, run every solution notebook."""
