"""The Telegram adapter: updates in, core replies out as HTML messages and buttons."""
