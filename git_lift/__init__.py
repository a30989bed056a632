"""git lift: ship dockerized services to AWS ECS with git."""

__version__ = "0.1.0"
