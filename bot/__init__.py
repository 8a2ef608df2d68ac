"""Patient-education Telegram bot on ankylosing spondylitis and muscle spasms."""
