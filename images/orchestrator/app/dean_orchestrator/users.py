"""Manage API users: `python -m dean_orchestrator.users add <username>` (password on stdin).

Also `disable <username>`; needs DATABASE_URL and a migrated database.
"""
import os
import sys

from sqlalchemy import create_engine, text

from .passwords import hash_password


def main(argv) -> int:
    if len(argv) != 2 or argv[0] not in ("add", "disable"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    action, username = argv
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is required", file=sys.stderr)
        return 2
    engine = create_engine(url)
    with engine.begin() as connection:
        if action == "add":
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                print("a password is required on stdin", file=sys.stderr)
                return 2
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, is_active) VALUES (:username, :hash, true) "
                    "ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, is_active = true"
                ),
                {"username": username, "hash": hash_password(password)},
            )
        else:
            connection.execute(text("UPDATE users SET is_active = false WHERE username = :username"), {"username": username})
    print(f"{action}: {username}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
