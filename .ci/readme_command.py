"""Print README command N (``python .ci/readme_command.py 2``) exactly as README.md writes it.

The README's first bash block holds the two commands a user runs, each with a
``# N.`` comment; CI runs them from here, and tests/test_packaging.py reads
them the same way, so the README cannot drift from what is tested.
"""
import re
import sys
from pathlib import Path


def readme_command(number, readme=Path(__file__).resolve().parents[1] / "README.md"):
    block = re.search(r"```bash\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    if not block:
        raise SystemExit("README.md has no bash block")
    for line in block.group(1).splitlines():
        command, _, comment = line.partition("#")
        if comment.strip().startswith(f"{number}."):
            return command.strip()
    raise SystemExit(f"README.md's first bash block has no command '# {number}.'")


if __name__ == "__main__":
    print(readme_command(int(sys.argv[1])))
