"""Shell completion: the generated bash, zsh and fish scripts (scripts.py), and the names they ask for (complete.py)."""
