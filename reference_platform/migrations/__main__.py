"""`python -m reference_platform.migrations --database-url URL`: apply pending migrations, and nothing else.

The same as `python -m reference_platform migrate`, without loading the web application, so a start that
only needs the schema (each platform the kill matrix starts) costs a fraction of a second of CPU."""

import argparse
import asyncio
import logging

from reference_platform.database import migrate


def main() -> None:
    parser = argparse.ArgumentParser(prog="reference_platform.migrations", description="apply database migrations")
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in asyncio.run(migrate(args.database_url)):
        logging.info("applied migration %s", name)


if __name__ == "__main__":
    main()
