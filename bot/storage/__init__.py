"""SQLAlchemy tables, repositories that implement the domain's ports, and Alembic migrations."""
