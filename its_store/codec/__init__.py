"""What is stored: compression codecs and server-side encryption."""
